--- dbhost.linter.ast: reading libpg_query's JSON parse trees (dbhost.pgquery).
--
-- A node is `{ NodeType = { fields } }`; these helpers unwrap nodes, read names
-- and types, and know which built-in functions are not volatile, so rules stay
-- short and say what they match.
local M = {}

--- ast.unwrap(node) -> type, fields | nil: `{ IndexStmt = {...} }` -> "IndexStmt", {...}
function M.unwrap(node)
  if type(node) ~= "table" then return nil end
  local k, v = next(node)
  if type(k) ~= "string" or next(node, k) ~= nil or type(v) ~= "table" then return nil end
  return k, v
end

-- fields_of(list, node_type) -> the field tables of the nodes of that type in list (in order)
local function fields_of(list, node_type)
  local out = {}
  for _, n in ipairs(list or {}) do
    local t, f = M.unwrap(n)
    if t == node_type then out[#out + 1] = f end
  end
  return out
end

--- ast.strings(list) -> { "a", "b" }: the svals of a list of String nodes
function M.strings(list)
  local out = fields_of(list, "String")
  for i, f in ipairs(out) do out[i] = f.sval or "" end
  return out
end

--- ast.relname(rangevar) -> "t" (the relation's name, without schema) | nil
function M.relname(rv)
  if type(rv) ~= "table" then return nil end
  if rv.RangeVar then rv = rv.RangeVar end
  return rv.relname
end

--- ast.qualified(rangevar) -> "s.t" or "t"
function M.qualified(rv)
  if type(rv) ~= "table" then return nil end
  if rv.RangeVar then rv = rv.RangeVar end
  if rv.schemaname then return rv.schemaname .. "." .. (rv.relname or "") end
  return rv.relname
end

--- ast.type_name(typeName) -> name, typmods: "int4", { 20 } (pg_catalog. dropped), array flag
function M.type_name(tn)
  if type(tn) ~= "table" then return nil end
  if tn._name then return tn._name, tn._mods, tn.arrayBounds ~= nil end
  local names = M.strings(tn.names)
  local name = names[#names]
  local mods = {}
  for _, m in ipairs(tn.typmods or {}) do
    local t, f = M.unwrap(m)
    if t == "A_Const" and f.ival then mods[#mods + 1] = f.ival.ival or 0 end
  end
  tn._name, tn._mods = name, mods
  return name, mods, tn.arrayBounds ~= nil
end

--- ast.constraints(columndef) -> list of Constraint field tables
function M.column_constraints(cd)
  if not cd._cons then cd._cons = fields_of(cd.constraints, "Constraint") end
  return cd._cons
end

--- ast.has_def(list, name) -> true when a DefElem list has defname `name`
function M.has_def(list, name)
  for _, d in ipairs(list or {}) do
    local t, f = M.unwrap(d)
    if t == "DefElem" and f.defname == name then return true end
  end
  return false
end

--- ast.walk(node, fn): call fn(type, fields) for every node below (depth first)
function M.walk(node, fn)
  if type(node) ~= "table" then return end
  local t, f = M.unwrap(node)
  if type(t) == "string" and t:match("^%u") then
    fn(t, f)
    node = f
  end
  for _, v in pairs(node) do
    if type(v) == "table" then M.walk(v, fn) end
  end
end

-- Built-in functions that are not volatile (stable or immutable): a DEFAULT
-- calling only these is evaluated once by ADD COLUMN and needs no rewrite.
-- Anything else (gen_random_uuid, random, nextval, clock_timestamp, user
-- functions) is treated as volatile, which is what the server assumes too.
local NON_VOLATILE = {}
for name in ([[
now current_timestamp current_date current_time localtime localtimestamp transaction_timestamp
statement_timestamp abs lower upper length btrim trim ltrim rtrim concat coalesce nullif greatest
least round floor ceil ceiling to_char to_date to_timestamp to_number date_trunc date_part extract
make_date make_interval make_timestamp make_timestamptz md5 substr substring replace left right
jsonb_build_object json_build_object jsonb_build_array json_build_array array_length cardinality
current_user current_role session_user current_schema current_database version int4 int8 text
numeric bool timezone age char_length octet_length position split_part sign mod power sqrt
]]):gmatch("%S+") do NON_VOLATILE[name] = true end
M.NON_VOLATILE = NON_VOLATILE

--- ast.volatile_call(expr) -> name | nil: the first call in expr that may be volatile
function M.volatile_call(expr)
  local found
  M.walk(expr, function(t, f)
    if found then return end
    if t == "FuncCall" then
      local names = M.strings(f.funcname)
      local name = names[#names]
      if not NON_VOLATILE[name] then found = table.concat(names, ".") end
    elseif t == "SubLink" then
      found = found or "a subquery"
    end
  end)
  return found
end

-- The SQLValueFunction (CURRENT_TIMESTAMP …) is stable, constants are immutable:
-- neither is a FuncCall, so volatile_call does not see them.

--- ast.columns_of_elems(indexParams) -> { "a", "b" } (expression elements give "(expr)")
function M.index_columns(params)
  local out = fields_of(params, "IndexElem")
  for i, f in ipairs(out) do out[i] = f.name or "(expr)" end
  return out
end

--- ast.alter_cmds(st) -> list of AlterTableCmd field tables of an ALTER TABLE (else {})
local NONE = setmetatable({}, { __newindex = function() error("read-only", 2) end })
function M.alter_cmds(st)
  if st.type ~= "AlterTableStmt" or st.node.objtype ~= "OBJECT_TABLE" then return NONE end
  if not st._cmds then st._cmds = fields_of(st.node.cmds, "AlterTableCmd") end
  return st._cmds
end

--- ast.cmd_def(cmd) -> type, fields of an AlterTableCmd's def (ColumnDef, Constraint, PartitionCmd)
function M.cmd_def(cmd)
  return M.unwrap(cmd.def)
end

--- ast.dropped_names(dropstmt) -> { "name", ... } (last part of each object's name)
function M.dropped_names(f)
  local out = {}
  for _, o in ipairs(f.objects or {}) do
    local t, of = M.unwrap(o)
    if t == "List" then
      local names = M.strings(of.items)
      out[#out + 1] = names[#names]
    elseif t == "String" then
      out[#out + 1] = of.sval
    end
  end
  return out
end

--- ast.messages(list, fn) -> { message, ... }: what fn(item) returns for each item, nils skipped
function M.messages(list, fn)
  local out = {}
  for _, item in ipairs(list) do
    local msg = fn(item)
    if msg ~= nil then out[#out + 1] = msg end
  end
  return out
end

--- ast.existing_alter(st, ctx) -> table name of an ALTER TABLE on a table the file did not create | nil
function M.existing_alter(st, ctx)
  if st.type ~= "AlterTableStmt" then return nil end
  local tname = M.relname(st.node.relation)
  if ctx:existing(tname) then return tname end
end

--- ast.alter_messages(st, ctx, subtype, fn) -> { message, ... } | nil: for an ALTER TABLE on a
-- table the file did not create, what fn(cmd, tname) returns for each command of that subtype
function M.alter_messages(st, ctx, subtype, fn)
  local tname = M.existing_alter(st, ctx)
  if not tname then return nil end
  return M.messages(M.alter_cmds(st), function(cmd)
    if cmd.subtype == subtype then return fn(cmd, tname) end
  end)
end

--- ast.q(name) -> "name" in double quotes, for messages
function M.q(name)
  return '"' .. tostring(name) .. '"'
end

return M
