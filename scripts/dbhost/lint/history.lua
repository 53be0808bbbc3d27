--- Analyzer "history": rules that look past one statement — at the whole file
-- or at the migration history: eugene's foreign key without an index, the
-- ATTACH PARTITION scan, and Atlas Cloud's non-linear history check.
local ast = require "dbhost.linter.ast"

return {
  name = "history",
  rules = {
    {
      code = "DH102", name = "foreign-key-without-index", severity = "warning",
      summary = "foreign key without an index on the referencing columns",
      why = "Without an index on the referencing columns, every DELETE or key UPDATE on the referenced "
        .. "table scans the referencing table to check the constraint, under locks, and joins along the "
        .. "key cannot use an index.",
      advice = "Create an index whose leading columns are the foreign key's columns (CONCURRENTLY on an "
        .. "existing table).",
      example = "-- atlas:txmode none\n\nCREATE INDEX CONCURRENTLY orders_customer_id_idx ON orders (customer_id);",
      -- remember foreign keys added by this file; judge them once the whole file ran
      before = function(st, ctx)
        local function add(tname, cols, name)
          if #cols > 0 then
            ctx.new_fks = ctx.new_fks or {}
            ctx.new_fks[#ctx.new_fks + 1] = { table = tname, cols = cols, name = name, st = st }
          end
        end
        if st.type == "CreateStmt" then
          local tname = ast.relname(st.node.relation)
          for _, e in ipairs(st.node.tableElts or {}) do
            local t, f = ast.unwrap(e)
            if t == "ColumnDef" then
              for _, c in ipairs(ast.column_constraints(f)) do
                if c.contype == "CONSTR_FOREIGN" then add(tname, { f.colname }, c.conname) end
              end
            elseif t == "Constraint" and f.contype == "CONSTR_FOREIGN" then
              add(tname, ast.strings(f.fk_attrs), f.conname)
            end
          end
        end
        for _, cmd in ipairs(ast.alter_cmds(st)) do
          local t, f = ast.cmd_def(cmd)
          local tname = ast.relname(st.node.relation)
          if t == "Constraint" and f.contype == "CONSTR_FOREIGN" then
            add(tname, ast.strings(f.fk_attrs), f.conname)
          elseif t == "ColumnDef" then
            for _, c in ipairs(ast.column_constraints(f)) do
              if c.contype == "CONSTR_FOREIGN" then add(tname, { f.colname }, c.conname) end
            end
          end
        end
      end,
      finish = function(ctx)
        local out = {}
        for _, fk in ipairs(ctx.new_fks or {}) do
          if ctx.model.tables[fk.table] and not ctx.model:covered(fk.table, fk.cols) then
            out[#out + 1] = { st = fk.st, message = ("Foreign key %son %s (%s) has no index on the referencing columns")
              :format(fk.name and (ast.q(fk.name) .. " ") or "", ast.q(fk.table), table.concat(fk.cols, ", ")) }
          end
        end
        return out
      end,
    },
    {
      code = "DH105", on = { "AlterTableStmt" }, name = "attach-partition-scan", severity = "warning",
      summary = "ATTACH PARTITION scans the partition",
      why = "ATTACH PARTITION checks every row of the new partition against the partition bound while "
        .. "holding ACCESS EXCLUSIVE on the partition (and SHARE UPDATE EXCLUSIVE on the parent), unless a "
        .. "valid CHECK constraint already proves the bound.",
      advice = "Before attaching, add a CHECK matching the bound NOT VALID and VALIDATE it; ATTACH then "
        .. "skips the scan; drop the CHECK afterwards.",
      example = "ALTER TABLE events_2026 ADD CONSTRAINT b CHECK (day >= '2026-01-01' AND day < '2027-01-01') NOT VALID;\n"
        .. "ALTER TABLE events_2026 VALIDATE CONSTRAINT b;\n"
        .. "ALTER TABLE events ATTACH PARTITION events_2026 FOR VALUES FROM ('2026-01-01') TO ('2027-01-01');",
      check = function(st, ctx)
        for _, cmd in ipairs(ast.alter_cmds(st)) do
          local t, pc = ast.cmd_def(cmd)
          if cmd.subtype == "AT_AttachPartition" and t == "PartitionCmd" then
            local part = ast.relname(pc.name)
            if ctx:existing(part) then
              if not ctx.model:validated_check(part) then
                return ("Attaching %s to %s scans %s to check the partition bound"):format(
                  ast.q(part), ast.q(ast.relname(st.node.relation)), ast.q(part))
              end
            end
          end
        end
      end,
    },
    {
      code = "DH107", name = "non-linear-history", severity = "error",
      summary = "migration file older than the base branch's latest",
      why = "A new migration whose version sorts before the latest one already on the base branch is "
        .. "applied out of order: databases migrated from the base branch skip it (Atlas reports it as "
        .. "non-linear) or run it after later changes.",
      advice = "Rename the file with a version newer than the base branch's latest migration (re-create "
        .. "it with dbhost create-migrations), then re-hash.",
      example = "git mv migrations/20260101000000_x.sql migrations/20260301000000_x.sql && dbhost migrate hash",
      file_check = function(ctx)
        if ctx.base and ctx.base.latest and ctx.version and ctx.version < ctx.base.latest then
          return ("Version %s is older than %s, the latest migration on %s"):format(
            ctx.version, ctx.base.latest, ctx.base.ref or "the base branch")
        end
      end,
    },
  },
}
