--- Analyzer "concurrent_index" (Atlas's PG101-PG103) plus squawk's concurrent
-- REINDEX / DETACH rules and strong_migrations' PostgreSQL 14.0-14.3 check:
-- index and partition operations that block writes, and CONCURRENTLY where
-- it cannot run.
local ast = require "dbhost.linter.ast"

-- concurrent_op(st) -> description | nil: a statement that uses CONCURRENTLY
local function concurrent_op(st)
  local t, f = st.type, st.node
  if t == "IndexStmt" and f.concurrent then return "CREATE INDEX CONCURRENTLY" end
  if t == "DropStmt" and f.removeType == "OBJECT_INDEX" and f.concurrent then return "DROP INDEX CONCURRENTLY" end
  if t == "ReindexStmt" and ast.has_def(f.params, "concurrently") then return "REINDEX CONCURRENTLY" end
  for _, cmd in ipairs(ast.alter_cmds(st)) do
    if cmd.subtype == "AT_DetachPartition" and cmd.def and cmd.def.PartitionCmd
        and cmd.def.PartitionCmd.concurrent then
      return "DETACH PARTITION CONCURRENTLY"
    end
  end
  return nil
end

return {
  name = "concurrent_index",
  rules = {
    {
      code = "PG101", on = { "IndexStmt" }, name = "create-index-non-concurrently", aliases = { "require-concurrent-index-creation" },
      severity = "warning",
      summary = "index created without CONCURRENTLY on an existing table",
      why = "CREATE INDEX takes a SHARE lock on the table for the whole build: every INSERT, UPDATE and "
        .. "DELETE waits until the index is built, minutes on a large table.",
      advice = "Build it with CREATE INDEX CONCURRENTLY in a file of its own marked -- atlas:txmode none "
        .. "(CONCURRENTLY cannot run inside a transaction).",
      example = "-- atlas:txmode none\n\nCREATE INDEX CONCURRENTLY orders_customer_idx ON orders (customer_id);",
      check = function(st, ctx)
        if st.type == "IndexStmt" and not st.node.concurrent and ctx:existing(ast.relname(st.node.relation)) then
          return ("Creating index %s on existing table %s without CONCURRENTLY blocks writes (SHARE lock)")
            :format(ast.q(st.node.idxname or "?"), ast.q(ast.relname(st.node.relation)))
        end
      end,
    },
    {
      code = "PG102", on = { "DropStmt" }, name = "drop-index-non-concurrently", aliases = { "require-concurrent-index-deletion" },
      severity = "warning",
      summary = "index dropped without CONCURRENTLY",
      why = "DROP INDEX takes an ACCESS EXCLUSIVE lock on the index's table: reads and writes queue behind "
        .. "it, and behind any long query it waits for.",
      advice = "Use DROP INDEX CONCURRENTLY in a -- atlas:txmode none file.",
      example = "-- atlas:txmode none\n\nDROP INDEX CONCURRENTLY IF EXISTS orders_old_idx;",
      check = function(st, ctx)
        if st.type ~= "DropStmt" or st.node.removeType ~= "OBJECT_INDEX" or st.node.concurrent then return nil end
        local out = {}
        for _, n in ipairs(ast.dropped_names(st.node)) do
          if not ctx.created_indexes[n] then
            out[#out + 1] = ("Dropping index %s without CONCURRENTLY takes ACCESS EXCLUSIVE on its table"):format(ast.q(n))
          end
        end
        return out
      end,
    },
    {
      code = "PG103", on = { "IndexStmt", "DropStmt", "ReindexStmt", "AlterTableStmt" }, name = "concurrently-in-transaction",
      aliases = { "ban-concurrent-index-creation-in-transaction" }, severity = "error",
      summary = "CONCURRENTLY inside a transaction",
      why = "PostgreSQL refuses CREATE/DROP INDEX CONCURRENTLY, REINDEX CONCURRENTLY and DETACH PARTITION "
        .. "CONCURRENTLY inside a transaction block; the runner wraps each file in one unless the file "
        .. "says -- atlas:txmode none, so the migration fails when applied.",
      advice = "Put the statement in a file that starts with -- atlas:txmode none (and a blank line), "
        .. "without BEGIN/COMMIT around it.",
      example = "-- atlas:txmode none\n\nCREATE INDEX CONCURRENTLY orders_created_idx ON orders (created_at);",
      check = function(st, ctx)
        local op = concurrent_op(st)
        if op and ctx:in_transaction() then
          if ctx.tx.explicit then
            return op .. " cannot run inside the transaction block opened by BEGIN"
          end
          return op .. " cannot run inside a transaction: the file runs in one (txmode " .. ctx.txmode
            .. "); mark it -- atlas:txmode none"
        end
      end,
    },
    {
      code = "require-concurrent-reindex", on = { "ReindexStmt" }, severity = "warning",
      summary = "REINDEX without CONCURRENTLY",
      why = "REINDEX takes a SHARE lock on the table (writes wait) and ACCESS EXCLUSIVE on the indexes "
        .. "it rebuilds (reads using them wait).",
      advice = "Use REINDEX (CONCURRENTLY) … in a -- atlas:txmode none file.",
      example = "-- atlas:txmode none\n\nREINDEX (CONCURRENTLY) INDEX orders_customer_idx;",
      check = function(st)
        if st.type == "ReindexStmt" and not ast.has_def(st.node.params, "concurrently") then
          return "REINDEX without CONCURRENTLY blocks writes to the table and reads through the index"
        end
      end,
    },
    {
      code = "require-concurrent-partition-detach", on = { "AlterTableStmt" }, severity = "warning",
      summary = "DETACH PARTITION without CONCURRENTLY",
      why = "DETACH PARTITION takes ACCESS EXCLUSIVE on the parent and the partition, blocking every "
        .. "query on the partitioned table.",
      advice = "Use DETACH PARTITION … CONCURRENTLY (PostgreSQL 14+) in a -- atlas:txmode none file.",
      example = "-- atlas:txmode none\n\nALTER TABLE events DETACH PARTITION events_2020 CONCURRENTLY;",
      check = function(st, ctx)
        if not ctx:version_at_least(14) then return nil end
        for _, cmd in ipairs(ast.alter_cmds(st)) do
          if cmd.subtype == "AT_DetachPartition" and not (cmd.def and cmd.def.PartitionCmd
              and cmd.def.PartitionCmd.concurrent) then
            return ("Detaching a partition from %s without CONCURRENTLY takes ACCESS EXCLUSIVE on both tables")
              :format(ast.q(ast.relname(st.node.relation)))
          end
        end
      end,
    },
    {
      code = "DH106", on = { "IndexStmt", "ReindexStmt" }, name = "concurrent-index-pg14-corruption", severity = "error",
      summary = "concurrent index build on PostgreSQL 14.0-14.3",
      why = "PostgreSQL 14.0 to 14.3 can build corrupt indexes with CREATE INDEX CONCURRENTLY or REINDEX "
        .. "CONCURRENTLY (fixed in 14.4); rows go missing from the index silently.",
      advice = "Upgrade the server to 14.4 or later before building indexes concurrently.",
      example = "SELECT version();  -- must say 14.4 or later",
      check = function(st, ctx)
        if ctx.pg_major ~= 14 or (ctx.pg_minor and ctx.pg_minor >= 4) then return nil end
        local op = concurrent_op(st)
        if op == "CREATE INDEX CONCURRENTLY" or op == "REINDEX CONCURRENTLY" then
          return op .. " on PostgreSQL " .. (ctx.pg_minor and ("14." .. ctx.pg_minor) or "14 (minor unknown)")
            .. " can build a corrupt index (fixed in 14.4)"
        end
      end,
    },
  },
}
