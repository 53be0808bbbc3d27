--- Analyzer "incompatible" (Atlas's BC codes) plus squawk's ban-drop-not-null and
-- strong_migrations' renames of schemas and enum values: changes that break
-- code already deployed against the old schema.
local ast = require "dbhost.linter.ast"

-- later(ctx) -> { views = { name = last index }, generated = { "table.col" = last index } }:
-- the views and stored generated columns the file creates, built once per file, so that
-- a rename can ask whether a compatibility object follows it without rescanning the file.
local function later(ctx)
  if ctx.compat_objects then return ctx.compat_objects end
  local c = { views = {}, generated = {} }
  for i, st in ipairs(ctx.stmts) do
    if st.type == "ViewStmt" then c.views[ast.relname(st.node.view) or ""] = i end
    for _, cmd in ipairs(ast.alter_cmds(st)) do
      local t, cd = ast.cmd_def(cmd)
      if cmd.subtype == "AT_AddColumn" and t == "ColumnDef" then
        for _, k in ipairs(ast.column_constraints(cd)) do
          if k.contype == "CONSTR_GENERATED" then
            c.generated[(ast.relname(st.node.relation) or "") .. "." .. (cd.colname or "")] = i
          end
        end
      end
    end
  end
  ctx.compat_objects = c
  return c
end

return {
  name = "incompatible",
  rules = {
    {
      code = "BC101", on = { "RenameStmt" }, name = "rename-table", aliases = { "renaming-table" }, severity = "warning",
      summary = "table renamed",
      why = "Renaming a table breaks every running query that uses the old name until the new code is "
        .. "deployed; deploys are never instant, so some requests fail.",
      advice = "Keep the old name readable: follow the rename with a view of the old name (Atlas and "
        .. "dbhost then stay silent), and drop the view a release later.",
      example = "ALTER TABLE users RENAME TO accounts;\nCREATE VIEW users AS SELECT * FROM accounts;",
      check = function(st, ctx)
        if st.type ~= "RenameStmt" or st.node.renameType ~= "OBJECT_TABLE" then return nil end
        local old = ast.relname(st.node.relation)
        if not ctx:existing(old) then return nil end
        local at = later(ctx).views[old]
        if at and at > ctx.index then return nil end
        return ("Renaming table %s to %s"):format(ast.q(old), ast.q(st.node.newname))
      end,
    },
    {
      code = "BC102", on = { "RenameStmt" }, name = "rename-column", aliases = { "renaming-column" }, severity = "warning",
      summary = "column renamed",
      why = "Renaming a column breaks running code that reads or writes the old name until every "
        .. "instance runs the new code.",
      advice = "Add the new column, write both, backfill, switch reads, then drop the old one; or follow "
        .. "the rename with a generated column of the old name (Atlas's convention, honoured here).",
      example = "ALTER TABLE users RENAME COLUMN name TO full_name;\n"
        .. "ALTER TABLE users ADD COLUMN name text GENERATED ALWAYS AS (full_name) STORED;",
      check = function(st, ctx)
        if st.type ~= "RenameStmt" or st.node.renameType ~= "OBJECT_COLUMN" then return nil end
        local tname = ast.relname(st.node.relation)
        if not ctx:existing(tname) then return nil end
        local old = st.node.subname
        local gens = later(ctx).generated
        for _, t in ipairs({ tname, st.node.newname }) do
          local at = gens[t .. "." .. old]
          if at and at > ctx.index then return nil end
        end
        return ("Renaming column %s of %s to %s"):format(ast.q(old), ast.q(tname), ast.q(st.node.newname))
      end,
    },
    {
      code = "ban-drop-not-null", on = { "AlterTableStmt" }, severity = "warning",
      summary = "NOT NULL dropped",
      why = "Clients written for the old schema may not expect NULL in the column and fail on it.",
      advice = "Make sure every reader handles NULL before dropping the constraint, or keep a marker value.",
      example = "-- squawk-ignore ban-drop-not-null\nALTER TABLE users ALTER COLUMN nickname DROP NOT NULL;",
      check = function(st, ctx)
        return ast.alter_messages(st, ctx, "AT_DropNotNull", function(cmd, tname)
          return ("Dropping NOT NULL from column %s of %s"):format(ast.q(cmd.name), ast.q(tname))
        end)
      end,
    },
    {
      code = "DH111", on = { "RenameStmt" }, name = "rename-schema", severity = "warning",
      summary = "schema renamed",
      why = "Renaming a schema breaks every query and search_path that names it until new code is deployed.",
      advice = "Create the new schema, move objects, keep the old name working (views) for a release.",
      example = "CREATE SCHEMA billing;\nALTER TABLE public.invoices SET SCHEMA billing;",
      check = function(st)
        if st.type == "RenameStmt" and st.node.renameType == "OBJECT_SCHEMA" then
          return ("Renaming schema %s to %s"):format(ast.q(st.node.subname), ast.q(st.node.newname))
        end
      end,
    },
    {
      code = "DH112", on = { "AlterEnumStmt" }, name = "rename-enum-value", severity = "warning",
      summary = "enum value renamed",
      why = "Renaming an enum value breaks running code that still writes or compares the old label.",
      advice = "Add the new value, migrate rows and code to it, and stop using the old value.",
      example = "ALTER TYPE order_status ADD VALUE 'shipped' AFTER 'paid';",
      check = function(st)
        if st.type == "AlterEnumStmt" and st.node.oldVal then
          return ("Renaming enum value %s to %s"):format(ast.q(st.node.oldVal), ast.q(st.node.newVal))
        end
      end,
    },
  },
}
