--- Analyzer "constraint_drop" (Atlas's CD101): foreign keys dropped.
local ast = require "dbhost.linter.ast"

return {
  name = "constraint_drop",
  rules = {
    {
      code = "CD101", on = { "AlterTableStmt" }, name = "drop-foreign-key", severity = "warning",
      summary = "foreign-key constraint dropped",
      why = "Dropping a foreign key lets rows point at parents that do not exist; the data can no "
        .. "longer be trusted and the bug shows much later.",
      advice = "Make sure the relationship really ends (or is enforced elsewhere) and say so with "
        .. "-- atlas:nolint CD101.",
      example = "-- atlas:nolint CD101   orders no longer belong to a customer\n"
        .. "ALTER TABLE orders DROP CONSTRAINT orders_customer_id_fkey;",
      check = function(st, ctx)
        return ast.alter_messages(st, ctx, "AT_DropConstraint", function(cmd, tname)
          local tbl = ctx.model.tables[tname]
          local k = tbl and tbl.constraints[cmd.name or ""]
          if (k and k.kind == "foreign") or (not k and (cmd.name or ""):match("_fkey$")) then
            return ("Dropping foreign-key constraint %s of %s"):format(ast.q(cmd.name), ast.q(tname))
          end
        end)
      end,
    },
  },
}
