--- dbhost.linter.model: what earlier statements left behind, as far as the SQL
-- text tells (no database): tables with their columns (type, NOT NULL), indexes
-- and constraints. Rules use it to know a column's old type, whether a column is
-- nullable, whether an index covers a foreign key, or which constraint is a
-- foreign key. Unknown objects stay unknown: rules then fall back to the text.
--
--   local m = model.new()
--   m:apply(type, fields)        -- after each statement, earlier files first
--   m.tables[name] = { columns = { [col] = { type=, mods=, notnull= } }, order = {..},
--                      constraints = { [name] = { kind=, cols=, validated=, ref= } } }
--   m.indexes[name] = { table=, cols = {..}, unique= }
local ast = require "dbhost.linter.ast"

local M = {}
M.__index = M

function M.new()
  return setmetatable({ tables = {}, indexes = {} }, M)
end

local function column_from_def(cd)
  local name, mods = ast.type_name(cd.typeName)
  local col = { type = name, mods = mods, notnull = false }
  for _, c in ipairs(ast.column_constraints(cd)) do
    if c.contype == "CONSTR_NOTNULL" or c.contype == "CONSTR_PRIMARY" or c.contype == "CONSTR_IDENTITY" then
      col.notnull = true
    end
  end
  return col
end

local KIND = {
  CONSTR_CHECK = "check", CONSTR_FOREIGN = "foreign", CONSTR_PRIMARY = "primary",
  CONSTR_UNIQUE = "unique", CONSTR_EXCLUSION = "exclusion",
}

-- add_constraint(tbl, c, colname|nil)
local function add_constraint(self, tname, c, colname)
  local tbl = self.tables[tname]
  if not tbl then return end
  local kind = KIND[c.contype]
  if not kind then return end
  local cols = c.fk_attrs and ast.strings(c.fk_attrs) or (c.keys and ast.strings(c.keys)) or {}
  if #cols == 0 and colname then cols = { colname } end
  local name = c.conname
  if not name then
    local suffix = ({ check = "check", foreign = "fkey", primary = "pkey", unique = "key", exclusion = "excl" })[kind]
    name = kind == "primary" and (tname .. "_pkey") or (tname .. "_" .. table.concat(cols, "_") .. "_" .. suffix)
  end
  tbl.constraints[name] = {
    kind = kind, cols = cols, validated = not c.skip_validation,
    ref = c.pktable and ast.relname(c.pktable), expr = c.raw_expr,
  }
  if kind == "primary" or kind == "unique" then
    for _, col in ipairs(cols) do
      if kind == "primary" and tbl.columns[col] then tbl.columns[col].notnull = true end
    end
    self.indexes[c.indexname or name] = { table = tname, cols = cols, unique = true }
  end
end

local function create_table(self, f)
  local tname = ast.relname(f.relation)
  local tbl = { columns = {}, order = {}, constraints = {} }
  self.tables[tname] = tbl
  for _, e in ipairs(f.tableElts or {}) do
    local t, ef = ast.unwrap(e)
    if t == "ColumnDef" then
      tbl.columns[ef.colname] = column_from_def(ef)
      tbl.order[#tbl.order + 1] = ef.colname
    end
  end
  for _, e in ipairs(f.tableElts or {}) do
    local t, ef = ast.unwrap(e)
    if t == "ColumnDef" then
      for _, c in ipairs(ast.column_constraints(ef)) do add_constraint(self, tname, c, ef.colname) end
    elseif t == "Constraint" then
      add_constraint(self, tname, ef)
    end
  end
end

local function alter_table(self, f)
  local tname = ast.relname(f.relation)
  local tbl = self.tables[tname]
  if not tbl then return end
  for _, c in ipairs(f.cmds or {}) do
    local _, cmd = ast.unwrap(c)
    local st = cmd and cmd.subtype
    if st == "AT_AddColumn" then
      local _, cd = ast.unwrap(cmd.def)
      if cd and cd.colname then
        tbl.columns[cd.colname] = column_from_def(cd)
        tbl.order[#tbl.order + 1] = cd.colname
        for _, k in ipairs(ast.column_constraints(cd)) do add_constraint(self, tname, k, cd.colname) end
      end
    elseif st == "AT_DropColumn" then
      tbl.columns[cmd.name or ""] = nil
    elseif st == "AT_AlterColumnType" and tbl.columns[cmd.name or ""] then
      local _, cd = ast.unwrap(cmd.def)
      local name, mods = ast.type_name(cd and cd.typeName)
      tbl.columns[cmd.name].type, tbl.columns[cmd.name].mods = name, mods
    elseif st == "AT_SetNotNull" and tbl.columns[cmd.name or ""] then
      tbl.columns[cmd.name].notnull = true
    elseif st == "AT_DropNotNull" and tbl.columns[cmd.name or ""] then
      tbl.columns[cmd.name].notnull = false
    elseif st == "AT_AddConstraint" then
      local _, k = ast.unwrap(cmd.def)
      if k then add_constraint(self, tname, k) end
    elseif st == "AT_ValidateConstraint" and tbl.constraints[cmd.name or ""] then
      tbl.constraints[cmd.name].validated = true
    elseif st == "AT_DropConstraint" then
      tbl.constraints[cmd.name or ""] = nil
    end
  end
end

--- model:apply(type, fields): record what one parsed statement does
function M:apply(t, f)
  self._bytable = nil   -- the per-table index lists are rebuilt on the next question
  if t == "CreateStmt" then
    create_table(self, f)
  elseif t == "AlterTableStmt" and f.objtype == "OBJECT_TABLE" then
    alter_table(self, f)
  elseif t == "IndexStmt" then
    local name = f.idxname or (ast.relname(f.relation) .. "_idx")
    self.indexes[name] = { table = ast.relname(f.relation), cols = ast.index_columns(f.indexParams), unique = f.unique }
  elseif t == "DropStmt" then
    for _, o in ipairs(f.objects or {}) do
      local ot, of = ast.unwrap(o)
      local names = ot == "List" and ast.strings(of.items) or {}
      local name = names[#names]
      if name and f.removeType == "OBJECT_TABLE" then
        self.tables[name] = nil
      elseif name and f.removeType == "OBJECT_INDEX" then
        self.indexes[name] = nil
      end
    end
  elseif t == "RenameStmt" then
    local old = ast.relname(f.relation)
    if f.renameType == "OBJECT_TABLE" and old and self.tables[old] then
      self.tables[f.newname], self.tables[old] = self.tables[old], nil
      for _, ix in pairs(self.indexes) do
        if ix.table == old then ix.table = f.newname end
      end
    elseif f.renameType == "OBJECT_COLUMN" and old and self.tables[old] then
      local tbl = self.tables[old]
      if tbl.columns[f.subname or ""] then
        tbl.columns[f.newname], tbl.columns[f.subname] = tbl.columns[f.subname], nil
        for i, c in ipairs(tbl.order) do if c == f.subname then tbl.order[i] = f.newname end end
      end
    elseif f.renameType == "OBJECT_INDEX" and old and self.indexes[old] then
      self.indexes[f.newname], self.indexes[old] = self.indexes[old], nil
    end
  end
end

--- model:column(table, col) -> column | nil
function M:column(tname, col)
  local t = self.tables[tname or ""]
  return t and t.columns[col or ""]
end

--- model:validated_check(table, fits) -> true when the table has a validated CHECK constraint
-- k for which fits(k) holds (any validated CHECK when fits is nil)
function M:validated_check(tname, fits)
  local t = self.tables[tname or ""]
  for _, k in pairs(t and t.constraints or {}) do
    if k.kind == "check" and k.validated and (fits == nil or fits(k)) then return true end
  end
  return false
end

--- model:covered(table, cols) -> true when some index on table starts with cols
function M:covered(tname, cols)
  if not self._bytable then
    self._bytable = {}
    for _, ix in pairs(self.indexes) do
      local t = ix.table or ""
      self._bytable[t] = self._bytable[t] or {}
      table.insert(self._bytable[t], ix)
    end
  end
  for _, ix in ipairs(self._bytable[tname] or {}) do
    if #ix.cols >= #cols then
      local ok = true
      for i, c in ipairs(cols) do
        if ix.cols[i] ~= c then ok = false break end
      end
      if ok then return true end
    end
  end
  return false
end

return M
