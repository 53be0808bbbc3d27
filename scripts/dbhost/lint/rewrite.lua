--- Analyzer "rewrite": statements that rewrite a whole table under ACCESS
-- EXCLUSIVE by design (VACUUM FULL, CLUSTER, SET LOGGED/UNLOGGED, REFRESH
-- MATERIALIZED VIEW), and squawk's prefer-repack for PostgreSQL 19+.
local ast = require "dbhost.linter.ast"

-- rewriter(st) -> description, table | nil
local function rewriter(st)
  local t, f = st.type, st.node
  if t == "VacuumStmt" and ast.has_def(f.options, "full") then
    local _, vr = ast.unwrap(f.rels and f.rels[1])
    return "VACUUM FULL", vr and ast.relname(vr.relation) or "every table"
  elseif t == "ClusterStmt" then
    return "CLUSTER", ast.relname(f.relation) or "every clustered table"
  end
  return nil
end

return {
  name = "rewrite",
  rules = {
    {
      code = "DH113", on = { "VacuumStmt", "ClusterStmt", "AlterTableStmt" }, name = "table-rewrite", severity = "warning",
      summary = "statement rewrites a table under ACCESS EXCLUSIVE",
      why = "VACUUM FULL, CLUSTER and ALTER TABLE … SET LOGGED / SET UNLOGGED copy the whole table (and "
        .. "rebuild its indexes) while holding ACCESS EXCLUSIVE: no read or write gets through.",
      advice = "Use pg_repack (or REPACK CONCURRENTLY on PostgreSQL 19+) outside the migration, or run it "
        .. "in a maintenance window.",
      example = "-- outside migrations: pg_repack --table=orders",
      check = function(st, ctx)
        local what, tname = rewriter(st)
        if what then return ("%s rewrites %s under ACCESS EXCLUSIVE"):format(what, ast.q(tname)) end
        local name = ast.relname(st.node.relation)
        if not ctx:existing(name) then return nil end
        for _, cmd in ipairs(ast.alter_cmds(st)) do
          if cmd.subtype == "AT_SetLogged" or cmd.subtype == "AT_SetUnLogged" then
            return ("SET %s rewrites %s under ACCESS EXCLUSIVE"):format(
              cmd.subtype == "AT_SetLogged" and "LOGGED" or "UNLOGGED", ast.q(name))
          end
        end
      end,
    },
    {
      code = "DH114", on = { "RefreshMatViewStmt" }, name = "refresh-materialized-view-blocking", severity = "warning",
      summary = "REFRESH MATERIALIZED VIEW without CONCURRENTLY",
      why = "A plain refresh holds ACCESS EXCLUSIVE on the view while it recomputes it: readers wait.",
      advice = "Give the view a unique index and use REFRESH MATERIALIZED VIEW CONCURRENTLY.",
      example = "REFRESH MATERIALIZED VIEW CONCURRENTLY daily_totals;",
      check = function(st, ctx)
        if st.type == "RefreshMatViewStmt" and not st.node.concurrent and ctx:existing(ast.relname(st.node.relation)) then
          return ("Refreshing %s blocks its readers"):format(ast.q(ast.relname(st.node.relation)))
        end
      end,
    },
    {
      code = "prefer-repack", on = { "VacuumStmt", "ClusterStmt" }, severity = "warning",
      summary = "VACUUM FULL / CLUSTER on PostgreSQL 19+",
      why = "PostgreSQL 19 has REPACK (CONCURRENTLY), which does the same work without blocking.",
      advice = "Use REPACK (CONCURRENTLY).",
      example = "REPACK (CONCURRENTLY) orders;",
      check = function(st, ctx)
        if not ctx:version_at_least(19) then return nil end
        local what = rewriter(st)
        if what then return what .. " blocks the table; PostgreSQL 19 has REPACK (CONCURRENTLY)" end
      end,
    },
  },
}
