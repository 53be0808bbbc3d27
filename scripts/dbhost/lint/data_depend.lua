--- Analyzer "data_depend" (Atlas's MF codes): changes that succeed or fail
-- depending on the rows already in the table.
local ast = require "dbhost.linter.ast"

local function unique_cols_text(cols)
  return table.concat(cols, ", ")
end

return {
  name = "data_depend",
  rules = {
    {
      code = "MF101", on = { "IndexStmt", "AlterTableStmt" }, name = "unique-index-on-existing-columns", severity = "warning",
      summary = "unique index or constraint added on existing columns",
      why = "Adding a unique index (or UNIQUE constraint) to columns that already hold data fails if "
        .. "two rows share a value, so the migration may work on a dev database and fail in production.",
      advice = "Check for duplicates first (SELECT cols, count(*) … GROUP BY cols HAVING count(*) > 1) and "
        .. "clean them up in an earlier migration.",
      example = "SELECT email, count(*) FROM users GROUP BY email HAVING count(*) > 1;\n"
        .. "CREATE UNIQUE INDEX CONCURRENTLY users_email_key ON users (email);",
      check = function(st, ctx)
        if st.type == "IndexStmt" and st.node.unique and ctx:existing(ast.relname(st.node.relation)) then
          return ("Adding a unique index %s on existing table %s may fail on duplicate values"):format(
            ast.q(st.node.idxname or "?"), ast.q(ast.relname(st.node.relation)))
        end
        return ast.alter_messages(st, ctx, "AT_AddConstraint", function(cmd, tname)
          local t, k = ast.cmd_def(cmd)
          if t == "Constraint" and k.contype == "CONSTR_UNIQUE" and not k.indexname then
            return ("Adding a unique constraint on existing columns (%s) of %s may fail on duplicate values")
              :format(unique_cols_text(ast.strings(k.keys)), ast.q(tname))
          end
        end)
      end,
    },
    {
      code = "MF102", on = { "IndexStmt" }, name = "non-unique-index-made-unique", severity = "warning",
      summary = "non-unique index replaced by a unique one",
      why = "Replacing a non-unique index by a unique one on the same columns fails when the column "
        .. "already has duplicate values, which the old index allowed.",
      advice = "Find and resolve duplicates before the migration; build the unique index CONCURRENTLY "
        .. "beside the old one and drop the old one afterwards.",
      example = "CREATE UNIQUE INDEX CONCURRENTLY users_email_key ON users (email);\n"
        .. "DROP INDEX CONCURRENTLY users_email_idx;",
      check = function(st, ctx)
        if st.type ~= "IndexStmt" or not st.node.unique then return nil end
        local tname = ast.relname(st.node.relation)
        local cols = ast.index_columns(st.node.indexParams)
        for _, ix in pairs(ctx.dropped_indexes or {}) do
          if ix.table == tname and table.concat(ix.cols, ",") == table.concat(cols, ",") and not ix.unique then
            return ("Index on %s (%s) changes from non-unique to unique; this fails on duplicate values")
              :format(ast.q(tname), table.concat(cols, ", "))
          end
        end
      end,
      -- remember the indexes this file drops (before the model forgets them)
      before = function(st, ctx)
        if st.type == "DropStmt" and st.node.removeType == "OBJECT_INDEX" then
          ctx.dropped_indexes = ctx.dropped_indexes or {}
          for _, n in ipairs(ast.dropped_names(st.node)) do
            ctx.dropped_indexes[n] = ctx.model.indexes[n]
          end
        end
      end,
    },
    {
      code = "MF103", on = { "AlterTableStmt" }, name = "add-not-null-column", aliases = { "adding-required-field" }, severity = "warning",
      summary = "NOT NULL column without default added to an existing table",
      why = "ADD COLUMN … NOT NULL without a DEFAULT fails as soon as the table has a row, and old code "
        .. "that inserts without the column fails too.",
      advice = "Add the column with a non-volatile DEFAULT, or add it nullable, backfill, then set NOT NULL.",
      example = "ALTER TABLE orders ADD COLUMN status text NOT NULL DEFAULT 'new';",
      check = function(st, ctx)
        return ast.alter_messages(st, ctx, "AT_AddColumn", function(cmd, tname)
          local t, cd = ast.cmd_def(cmd)
          if t ~= "ColumnDef" then return nil end
          local notnull, default = false, false
          for _, c in ipairs(ast.column_constraints(cd)) do
            if c.contype == "CONSTR_NOTNULL" or c.contype == "CONSTR_PRIMARY" then notnull = true end
            if c.contype == "CONSTR_DEFAULT" or c.contype == "CONSTR_IDENTITY"
                or c.contype == "CONSTR_GENERATED" then default = true end
          end
          local tn = ast.type_name(cd.typeName)
          if tn == "serial" or tn == "bigserial" or tn == "smallserial" then default = true end
          if notnull and not default then
            return ("Adding a non-nullable column %s without a default to table %s fails if the table has rows")
              :format(ast.q(cd.colname), ast.q(tname))
          end
        end)
      end,
    },
    {
      code = "MF104", on = { "AlterTableStmt" }, name = "nullable-to-not-null", severity = "warning",
      summary = "nullable column changed to NOT NULL",
      why = "SET NOT NULL fails when any existing row holds NULL in the column, which the dev database "
        .. "usually does not show.",
      advice = "Backfill the NULLs in an earlier migration (in batches) before setting NOT NULL.",
      example = "UPDATE orders SET status = 'new' WHERE status IS NULL;  -- earlier migration\n"
        .. "ALTER TABLE orders ALTER COLUMN status SET NOT NULL;",
      check = function(st, ctx)
        return ast.alter_messages(st, ctx, "AT_SetNotNull", function(cmd, tname)
          local col = ctx.model:column(tname, cmd.name)
          if not (col and col.notnull) then
            return ("Modifying nullable column %s of %s to non-nullable fails if it holds NULLs")
              :format(ast.q(cmd.name), ast.q(tname))
          end
        end)
      end,
    },
  },
}
