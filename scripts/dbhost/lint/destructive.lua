--- Analyzer "destructive" (Atlas's DS codes) plus squawk's ban-drop-database and
-- ban-truncate-cascade: statements that delete data or objects clients use.
local ast = require "dbhost.linter.ast"

local function drops(st, kind)
  if st.type ~= "DropStmt" or st.node.removeType ~= kind then return {} end
  return ast.dropped_names(st.node)
end

return {
  name = "destructive",
  rules = {
    {
      code = "DS101", on = { "DropStmt" }, name = "drop-schema", severity = "error",
      summary = "schema dropped",
      why = "Dropping a schema deletes every table, view and function in it together with their data; "
        .. "a migration cannot undo it and code still using the objects fails at once.",
      advice = "Move or drop the objects one by one after the code stopped using them, or keep the schema.",
      example = "-- atlas:nolint DS101   (only when the schema is known to be empty)\nDROP SCHEMA staging;",
      check = function(st)
        return ast.messages(drops(st, "OBJECT_SCHEMA"), function(n)
          return ("Dropping schema %s%s"):format(ast.q(n),
            st.node.behavior == "DROP_CASCADE" and " and everything in it (CASCADE)" or "")
        end)
      end,
    },
    {
      code = "DS102", on = { "DropStmt" }, name = "drop-table", aliases = { "ban-drop-table" }, severity = "error",
      summary = "table dropped",
      why = "Dropping a table deletes its rows; application code that still reads or writes it fails "
        .. "as soon as the migration runs, and a rollback cannot bring the data back.",
      advice = "Stop using the table in the application first, deploy, take a backup, then drop it "
        .. "in a later migration (and say so with -- atlas:nolint DS102).",
      example = "ALTER TABLE old_orders RENAME TO old_orders_unused;  -- a release later:\n"
        .. "-- atlas:nolint DS102\nDROP TABLE old_orders_unused;",
      check = function(st, ctx)
        return ast.messages(drops(st, "OBJECT_TABLE"), function(n)
          if ctx:existing(n) then return ("Dropping table %s"):format(ast.q(n)) end
        end)
      end,
    },
    {
      code = "DS103", on = { "AlterTableStmt" }, name = "drop-column", aliases = { "ban-drop-column" }, severity = "error",
      summary = "non-virtual column dropped",
      why = "Dropping a column deletes its data, and running application code that selects or inserts "
        .. "the column breaks the moment the migration commits.",
      advice = "Remove every use of the column from the code (and from ORM column lists), deploy, "
        .. "then drop it in a later migration.",
      example = "-- release 1: the code ignores orders.note\n-- release 2:\nALTER TABLE orders DROP COLUMN note;",
      check = function(st, ctx)
        return ast.alter_messages(st, ctx, "AT_DropColumn", function(cmd, tname)
          return ("Dropping non-virtual column %s of table %s"):format(ast.q(cmd.name), ast.q(tname))
        end)
      end,
    },
    {
      code = "ban-drop-database", on = { "DropdbStmt" }, severity = "error",
      summary = "database dropped",
      why = "DROP DATABASE removes a whole database; it has no place in a schema migration.",
      advice = "Drop databases by hand, outside the migration history.",
      example = "-- not in a migration file",
      check = function(st)
        if st.type == "DropdbStmt" then return ("Dropping database %s"):format(ast.q(st.node.dbname)) end
      end,
    },
    {
      code = "ban-truncate-cascade", on = { "TruncateStmt" }, severity = "error",
      summary = "TRUNCATE … CASCADE",
      why = "TRUNCATE with CASCADE also empties every table that references the truncated ones through "
        .. "foreign keys, recursively, which is rarely what the author saw.",
      advice = "Truncate the tables you mean explicitly, each named in the statement.",
      example = "TRUNCATE orders, order_items;",
      check = function(st)
        if st.type == "TruncateStmt" and st.node.behavior == "DROP_CASCADE" then
          return "TRUNCATE … CASCADE also empties every table that references these tables"
        end
      end,
    },
  },
}
