--- dbhost.schema.diff: the changes between two schema models, as an ordered plan.
--
--   local diff = require "dbhost.schema.diff"
--   local plan = assert(diff.plan(current_model, desired_model [, opts]))
--   io.write(diff.render(plan))       -- a migration file in Atlas's format
--
-- plan = { statements = { { sql, comment, txmode = "none"|nil, outside = "after"|nil,
--                           destructive = bool, rename_hint = "..."|nil }, ... },
--          txmode_none = bool, notes = { "...", ... } }
-- opts.concurrent_index = { create = bool, drop = bool }: indexes created on (dropped from)
-- tables that stay use CONCURRENTLY, with txmode "none" and outside = "after" (a migration
-- writer puts them in a file after the transactional one).
--
-- How the planner works. diff.plan builds a Planner (from, to, the statements so far) and
-- runs its steps in this order; each statement is added with a phase (the table P below),
-- and the plan is the statements sorted by phase, then by the order they were added. So a
-- step may add statements for several phases (alter_table adds a column's DROP DEFAULT and
-- its SET DEFAULT around the type change), and the phases, not the steps, give the order
-- the SQL runs in.
--   find_replacements        decide what is dropped and created again: removed or replaced
--                            tables, changed constraints and indexes, replaced views,
--                            functions and types (enums losing values, rebuilt domains,
--                            composites over them); dependents() walks pg_depend from those
--                            seeds to everything that must be recreated around them
--                            (self.recreate), including column defaults.
--   drop_dependents          phases 10-16: policies, triggers, event triggers, views (dependents
--                            first), foreign keys, constraints, defaults and indexes that are
--                            removed or recreated.
--   drop_functions_and_tables phases 20-23: replaced functions, removed tables and functions
--                            in one dependency order.
--   create_base_objects      phases 30-35: schemas, extensions (UPDATE TO), collations, the
--                            columns moved off rebuilt domains, types (enum values added in
--                            place; enums renamed and rebuilt; composites altered) with the
--                            functions they need, sequences.
--   create_functions         phases 36/45: functions, procedures, aggregates (SQL bodies and
--                            aggregates after the tables unless a table needs them).
--   create_tables            phases 40-53: CREATE or ALTER TABLE, column comments and grants,
--                            constraints, foreign keys (after all tables), triggers, policies.
--   create_indexes_and_views phases 51-61: indexes (CONCURRENTLY by policy), views in
--                            dependency order, their comments, grants and triggers.
--   create_event_triggers    phase 72: last, so they do not fire on the plan's own DDL.
--   default_privileges       phase 73: after the plan's objects got exactly their own grants.
--   drop_removed             phases 81-85: removed types, the old enums, collations,
--                            sequences, extensions and schemas.
-- Then statements that must run outside a transaction (enum values used in the same plan)
-- get txmode "none". Renames are never guessed: a rename shows as drop + add with a
-- rename_hint. Column order is never a difference (ALTER TABLE cannot reorder columns).
local model = require "dbhost.schema.model"

local M = {}

local ident, qname, literal = model.ident, model.qname, model.literal
local needs_using, nested_owner
local sorted = model.sorted
local EMPTY = {}

-- Phases: statements are emitted in phase order, then in the order added.
local P = {
  drop_policy = 10, drop_trigger = 11, drop_view = 12, drop_fk = 13, drop_constraint = 14,
  drop_index = 15, drop_default = 16, drop_replaced_function = 20, drop_fk_of_dropped = 21, drop_table = 22,
  drop_function = 23,
  schema = 30, extension = 31, collation = 32, type = 33, enum_value = 34, sequence = 35, func = 36,
  table = 40, alter_table = 41, late_func = 45, constraint = 50, index = 51, fk = 52,
  owned_by = 53, view = 60, view_index = 61, trigger = 62, policy = 63, comment = 70, grant = 71,
  event_trigger = 72, default_privileges = 73,
  drop_type = 81, drop_collation = 82, drop_sequence = 83, drop_extension = 84, drop_schema = 85,
}

local Planner = {}
Planner.__index = Planner

-- Record a statement for phase (a key of P); extra fields (txmode, destructive, ...) are copied onto it.
function Planner:add(phase, sql, comment, extra)
  local s = { sql = sql, comment = comment, _phase = P[phase], _n = #self.stmts + 1 }
  for k, v in pairs(extra or {}) do s[k] = v end
  self.stmts[#self.stmts + 1] = s
  return s
end

-- Record a note for the user (printed beside the plan, never executed).
function Planner:note(fmt, ...)
  self.notes[#self.notes + 1] = select("#", ...) > 0 and fmt:format(...) or fmt
end

-- The quoted schema-qualified name of a model object.
local function qn(obj) return qname(obj.schema, obj.name) end

local ROUTINE_WORD = { procedure = "PROCEDURE", aggregate = "AGGREGATE", ["function"] = "FUNCTION" }

-- "FUNCTION public.f(integer)" style references for COMMENT and DROP
local function func_ref(f)
  return (ROUTINE_WORD[f.kind] or "FUNCTION") .. " " .. qn(f) .. "(" .. f.args .. ")"
end

-- The reference GRANT and REVOKE take (ROUTINE covers aggregates, which FUNCTION refuses)
local function grant_ref(f)
  return (f.kind == "aggregate" and "ROUTINE " or f.kind == "procedure" and "PROCEDURE " or "FUNCTION ")
    .. qn(f) .. "(" .. f.args .. ")"
end

-- A definition without its surrounding blanks and trailing semicolons (the renderer adds one).
local function strip_semicolon(s)
  return (s:gsub("^%s+", ""):gsub("[%s;]+$", ""))
end

-- ------------------------------------------------------------ dependencies

-- Topological order of keys, dependencies first; deps is a list of
-- {from, to}; ties keep the given order; cycles are broken arbitrarily.
local function topo(keys, deps)
  local inset, index = {}, {}
  for i, k in ipairs(keys) do inset[k] = true; index[k] = i end
  local needs = {}
  local from_map = model.deps_from(deps)
  for _, k in ipairs(keys) do
    for _, n in ipairs(from_map[k] or EMPTY) do
      local to = deps[n].to
      if inset[to] and to ~= k then
        local l = needs[k]
        if not l then l = {}; needs[k] = l end
        l[#l + 1] = to
      end
    end
  end
  local out, state = {}, {}
  local function visit(k)
    if state[k] then return end
    state[k] = 1
    local l = needs[k]
    if l then
      table.sort(l, function(a, b) return index[a] < index[b] end)
      for _, d in ipairs(l) do visit(d) end
    end
    state[k] = 2
    out[#out + 1] = k
  end
  for _, k in ipairs(keys) do visit(k) end
  return out
end

-- A new list with list's items in reverse order (drops go dependents first).
local function reversed(list)
  local out = {}
  for i = #list, 1, -1 do out[#out + 1] = list[i] end
  return out
end

-- Dependents of the seeds in the current model (transitively), limited to
-- objects that can be dropped and recreated: views, triggers, policies,
-- constraints, indexes and functions.
local RECREATABLE = { view = true, trigger = true, policy = true, constraint = true, index = true,
                      ["function"] = true, default = true, event_trigger = true }

-- Automatic dependencies (an index or a constraint on a column, flagged auto)
-- are followed only from the columns of autocols: those moved off their type.
local function dependents(deps, seeds, colseeds, autocols)
  autocols = autocols or {}
  local on = model.deps_to(deps)
  local function rev_of(k)
    local out = {}
    for i, n in ipairs(on[k] or EMPTY) do out[i] = deps[n] end
    return out
  end
  local out, queue = {}, {}
  local function push(k)
    if not out[k] and RECREATABLE[k:match("^(%a+):")] then
      out[k] = true
      queue[#queue + 1] = k
    end
  end
  for k in pairs(seeds) do
    for _, d in ipairs(rev_of(k)) do
      if not d.auto then push(d.from) end
    end
  end
  for k, cols in pairs(colseeds) do
    local auto = autocols[k] or {}
    for _, d in ipairs(rev_of(k)) do
      if d.col and cols[d.col] and (not d.auto or auto[d.col]) then push(d.from) end
    end
  end
  local i = 1
  while queue[i] do
    for _, d in ipairs(rev_of(queue[i])) do
      if not d.auto then push(d.from) end
    end
    i = i + 1
  end
  return out
end

-- ------------------------------------------------------------ rendering pieces

-- "ALTER TABLE schema.table clause"
local function alter(t, clause) return ("ALTER TABLE %s %s"):format(qn(t), clause) end

-- A model key "schema.name" as a quoted qualified name.
local function key_qname(key)
  local s, n = key:match("^(.-)%.(.*)$")
  return qname(s, n)
end

local TYPE_MAX = { smallint = "32767", integer = "2147483647", bigint = "9223372036854775807" }

-- GENERATED ... AS IDENTITY (options), writing only the options that differ from PostgreSQL's defaults.
local function identity_clause(id, coltype, tname, cname)
  local parts = {}
  if id.sequence and tname then
    local sname = id.sequence:match("^.-%.(.*)$")
    if sname ~= tname .. "_" .. cname .. "_seq" then parts[#parts + 1] = "SEQUENCE NAME " .. key_qname(id.sequence) end
  end
  local max = TYPE_MAX[coltype] or TYPE_MAX.bigint
  local inc = tonumber(id.increment or "1") or 1
  local default_min = inc > 0 and "1" or ("-" .. max)
  if id.start and id.start ~= (inc > 0 and (id.min or "1") or (id.max or "-1")) then
    parts[#parts + 1] = "START WITH " .. id.start
  end
  if id.increment and id.increment ~= "1" then parts[#parts + 1] = "INCREMENT BY " .. id.increment end
  if id.min and id.min ~= default_min then parts[#parts + 1] = "MINVALUE " .. id.min end
  if id.max and id.max ~= (inc > 0 and max or "-1") then parts[#parts + 1] = "MAXVALUE " .. id.max end
  if id.cache and id.cache ~= "1" then parts[#parts + 1] = "CACHE " .. id.cache end
  if id.cycle then parts[#parts + 1] = "CYCLE" end
  local s = "GENERATED " .. (id.always and "ALWAYS" or "BY DEFAULT") .. " AS IDENTITY"
  if #parts > 0 then s = s .. " (" .. table.concat(parts, " ") .. ")" end
  return s
end

-- A column as CREATE TABLE / ADD COLUMN spell it.
local function column_def(c, tname)
  local s = ident(c.name) .. " " .. c.type
  if c.collation then s = s .. " COLLATE " .. c.collation end
  if c.generated then s = s .. " GENERATED ALWAYS AS (" .. c.generated .. ") STORED" end
  if c.identity then s = s .. " " .. identity_clause(c.identity, c.type, tname, c.name) end
  if c.default then s = s .. " DEFAULT " .. c.default end
  if c.notnull then s = s .. " NOT NULL" end
  return s
end

-- Every option of sequence s, for CREATE SEQUENCE.
local function sequence_options(s)
  return ("AS %s INCREMENT BY %s MINVALUE %s MAXVALUE %s START WITH %s CACHE %s %s"):format(
    s.type, s.increment, s.min, s.max, s.start, s.cache, s.cycle and "CYCLE" or "NO CYCLE")
end

-- " WITH (a=1, b=2)" for storage parameters, "" when there are none.
local function options_clause(opts)
  if not opts or #opts == 0 then return "" end
  return " WITH (" .. table.concat(opts, ", ") .. ")"
end

local by_order_cache = setmetatable({}, { __mode = "k" })

-- The columns of t in their physical order (by name when unknown); cached per table.
local function columns_by_order(t)
  local cached = by_order_cache[t]
  if cached then return cached end
  local cols = {}
  for _, c in pairs(t.columns) do cols[#cols + 1] = c end
  table.sort(cols, function(a, b)
    if a._order and b._order and a._order ~= b._order then return a._order < b._order end
    return a.name < b.name
  end)
  by_order_cache[t] = cols
  return cols
end

-- Parent table keys as the quoted, comma-separated list INHERITS takes.
local function parent_list(parents)
  local out = {}
  for i, p in ipairs(parents) do
    local s, n = p:match("^(.-)%.(.*)$")
    out[i] = qname(s, n)
  end
  return table.concat(out, ", ")
end


-- ------------------------------------------------------------ the planner

-- Equal lists, in order (nil is the empty list).
local function same_list(a, b)
  a, b = a or {}, b or {}
  if #a ~= #b then return false end
  for i = 1, #a do if a[i] ~= b[i] then return false end end
  return true
end

-- Equal lists, in any order.
local function same_set(a, b)
  a, b = a or {}, b or {}
  if #a ~= #b then return false end
  local set = {}
  for _, v in ipairs(a) do set[v] = true end
  for _, v in ipairs(b) do if not set[v] then return false end end
  return true
end

-- The first line of a function definition: CREATE OR REPLACE cannot change it.
local function header(def)
  return def and def:match("^[^\n]*") or ""
end

-- Positions of the current enum values inside the wanted list, or nil when
-- the wanted list is not the current one with values inserted.
local function enum_additions(cur, want)
  local j = 1
  for _, v in ipairs(want) do
    if v == cur[j] then j = j + 1 end
  end
  if j <= #cur then return nil end
  local adds, have = {}, {}
  for _, v in ipairs(cur) do have[v] = true end
  for i, v in ipairs(want) do
    if not have[v] then
      adds[#adds + 1] = { value = v, after = want[i - 1], before = want[i + 1] }
    end
  end
  return adds
end

-- Must the table be dropped and created again? (its partitioning cannot be altered)
local function table_replaced(a, b)
  return (a.partitioned or false) ~= (b.partitioned or false) or a.partition_key ~= b.partition_key
end

-- Must the column be dropped and added again? (a generation expression cannot be altered)
local function column_replaced(a, b)
  return a.generated ~= b.generated and b.generated ~= nil
end

-- Seed every object of `kind` that is dropped or replaced (so its dependents are
-- found); returns the set of keys that are replaced (dropped and created again).
local function seed_replaced(seeds, kind, from_map, to_map, replaced)
  local set = {}
  for key, o in pairs(from_map) do
    local w = to_map[key]
    if not w or replaced(o, w) then
      seeds[kind .. ":" .. key] = true
      if w then set[key] = true end
    end
  end
  return set
end

-- Must the view be dropped and created again? (CREATE OR REPLACE VIEW cannot drop or reorder columns)
local function view_replaced(a, b)
  return a.def ~= b.def or (a.materialized or false) ~= (b.materialized or false)
    or not same_set(a.options, b.options)
end

-- Must the type be rebuilt? (an enum losing or reordering values; a domain's base type or collation)
local function type_replaced(a, b)
  if a.kind ~= b.kind then return true end
  if a.kind == "enum" then return enum_additions(a.values, b.values) == nil end
  if a.kind == "composite" then return false end
  return a.base_type ~= b.base_type or a.collation ~= b.collation
end

-- A function is replaced (dropped and created) when CREATE OR REPLACE cannot change it:
-- its result, kind or signature line changes; an aggregate whenever its definition does.
local function function_replaced(a, b)
  return a.result ~= b.result or a.kind ~= b.kind or header(a.def) ~= header(b.def)
    or (a.kind == "aggregate" and a.def ~= b.def)
end

-- CREATE POLICY text of policy p on table tkey.
local function policy_def(tkey, p)
  local s = ("CREATE POLICY %s ON %s AS %s FOR %s TO %s"):format(ident(p.name), key_qname(tkey),
    p.permissive and "PERMISSIVE" or "RESTRICTIVE", p.command, #p.roles > 0 and table.concat(p.roles, ", ") or "PUBLIC")
  if p.using then s = s .. " USING (" .. p.using .. ")" end
  if p.with_check then s = s .. " WITH CHECK (" .. p.with_check .. ")" end
  return s
end

-- Does the policy differ in anything ALTER POLICY would not cover in one step? (it is recreated)
local function policy_changed(a, b)
  return a.command ~= b.command or a.permissive ~= b.permissive or not same_list(a.roles, b.roles)
    or a.using ~= b.using or a.with_check ~= b.with_check
end

local ENABLE = { D = "DISABLE TRIGGER", R = "ENABLE REPLICA TRIGGER", A = "ENABLE ALWAYS TRIGGER",
                 O = "ENABLE TRIGGER" }

-- The type name of a column or attribute without its array suffix and COLLATE clause.
local function element_type(ty)
  return (ty:gsub(" COLLATE .*$", ""):gsub("%[%]$", ""))
end

-- Is the column type an array?
local function is_array(ty)
  return ty:gsub(" COLLATE .*$", ""):match("%[%]$") ~= nil
end

-- Domains built on a type that is rebuilt are rebuilt with it (DROP TYPE of the
-- old one fails while they exist), as are domains whose base type or collation
-- changes. The table columns of a rebuilt domain are moved off it first (to the
-- domain's underlying built-in type, or to text when that type is rebuilt too),
-- then back once the domain is created again: self.moved[table][column] = the
-- type in between. Attributes of composite types are handled alike when no
-- column uses the composite type (ALTER TYPE ... ALTER ATTRIBUTE cannot then).
function Planner:find_rebuilt_domains(seeds, colseeds, autocols)
  local from, to = self.from, self.to
  local key_of = {}
  for key, t in pairs(from.types) do key_of[qn(t)] = key end
  local function type_key(ty) return ty and key_of[element_type(ty)] end
  local changed = true
  while changed do
    changed = false
    for key, t in pairs(from.types) do
      local w = to.types[key]
      local bk = t.kind == "domain" and type_key(t.base_type)
      if w and bk and self.replaced_types[bk] and not self.replaced_types[key] then
        self.replaced_types[key] = true
        seeds["type:" .. key] = true
        changed = true
      end
    end
  end
  self.rebuilt_domains, self.moved, self.moved_attrs = {}, {}, {}
  local any = false
  for key, t in pairs(from.types) do
    if self.replaced_types[key] then
      any = true
      if t.kind == "domain" then self.rebuilt_domains[key] = true end
    end
  end
  if not any then return end
  -- the built-in type under a chain of domains, or text when a rebuilt type is in the way
  local function between(dkey, ty)
    local base, k, n = nil, dkey, 0
    repeat
      base = from.types[k].base_type
      k = type_key(base)
      n = n + 1
    until not k or from.types[k].kind ~= "domain" or n > 64
    if k and self.replaced_types[k] then base = "text" end
    if is_array(ty) and not is_array(base) then base = base .. "[]" end
    return base
  end
  for tkey, tab in pairs(from.tables) do
    if to.tables[tkey] and not self.replaced_tables[tkey] then
      for name, c in pairs(tab.columns) do
        local k = type_key(c.type)
        if k and self.rebuilt_domains[k] and not c._inherited then
          self.moved[tkey] = self.moved[tkey] or {}
          self.moved[tkey][name] = between(k, c.type)
          for _, set in ipairs { colseeds, autocols } do
            set["table:" .. tkey] = set["table:" .. tkey] or {}
            set["table:" .. tkey][name] = true
          end
        end
      end
    end
  end
  -- composite types: their attributes of a rebuilt domain or enum; the table columns that
  -- use such a composite go to text while the attribute changes, and come back after
  local used = {}
  for tkey, tab in pairs(from.tables) do
    for name, c in pairs(tab.columns) do
      local k = type_key(c.type)
      if k and not c._inherited and to.tables[tkey] and not self.replaced_tables[tkey] then
        used[k] = used[k] or {}
        used[k][#used[k] + 1] = { tkey = tkey, name = name, array = is_array(c.type) }
      end
    end
  end
  for key, t in pairs(from.types) do
    if t.kind == "composite" and to.types[key] and to.types[key].kind == "composite" then
      for _, def in ipairs(t.attributes) do
        local attr, ty = def:match('^(".-") (.*)$')
        if not attr then attr, ty = def:match("^(%S+) (.*)$") end
        local k = type_key(ty)
        local enum = k and self.replaced_types[k] and from.types[k].kind == "enum" and to.types[k]
          and to.types[k].kind == "enum"
        if k and (self.rebuilt_domains[k] or enum) then
          for _, u in ipairs(used[key] or {}) do
            self.moved[u.tkey] = self.moved[u.tkey] or {}
            self.moved[u.tkey][u.name] = u.array and "text[]" or "text"
            for _, set in ipairs { colseeds, autocols } do
              set["table:" .. u.tkey] = set["table:" .. u.tkey] or {}
              set["table:" .. u.tkey][u.name] = true
            end
          end
          self.moved_attrs[key] = self.moved_attrs[key] or {}
          -- an enum is renamed, not dropped: its attributes are only retyped afterwards
          self.moved_attrs[key][attr] = not enum and between(k, ty)
        end
      end
    end
  end
end

-- Decide what is replaced (dropped and created again) in the current model.
function Planner:find_replacements()
  local from, to = self.from, self.to
  local seeds, colseeds, autocols = {}, {}, {}
  self.dropped_tables, self.replaced_tables = {}, {}
  for key, t in pairs(from.tables) do
    local w = to.tables[key]
    if not w or table_replaced(t, w) then
      seeds["table:" .. key] = true
      if w then self.replaced_tables[key] = true else self.dropped_tables[key] = true end
    else
      for name, c in pairs(t.columns) do
        local wc = w.columns[name]
        if not wc or wc.type ~= c.type or wc.collation ~= c.collation or column_replaced(c, wc) then
          colseeds["table:" .. key] = colseeds["table:" .. key] or {}
          colseeds["table:" .. key][name] = true
        end
      end
      for name, c in pairs(t.constraints) do
        local wc = w.constraints[name]
        if not wc or wc.def ~= c.def then
          seeds["constraint:" .. key .. "." .. name] = true
          seeds["index:" .. t.schema .. "." .. name] = true
        end
      end
    end
  end
  for key, i in pairs(from.indexes) do
    local w = to.indexes[key]
    if not w or w.def ~= i.def then seeds["index:" .. key] = true end
  end
  self.replaced_views = seed_replaced(seeds, "view", from.views, to.views, view_replaced)
  self.replaced_functions = seed_replaced(seeds, "function", from.functions, to.functions, function_replaced)
  self.replaced_types = {}
  for key, t in pairs(from.types) do
    local w = to.types[key]
    if not w or type_replaced(t, w) then
      seeds["type:" .. key] = true
      if w then self.replaced_types[key] = true end
      if w and t.kind == "enum" and w.kind == "enum" then
        -- columns of the enum are converted to the new type through text
        local tq = qn(t)
        for tkey, tab in pairs(from.tables) do
          local wt = to.tables[tkey]
          for name, c in pairs(tab.columns) do
            if (c.type == tq or c.type == tq .. "[]") and wt and wt.columns[name] and wt.columns[name].type == c.type
                and not c._inherited then
              self.retype[tkey] = self.retype[tkey] or {}
              self.retype[tkey][name] = true
              colseeds["table:" .. tkey] = colseeds["table:" .. tkey] or {}
              colseeds["table:" .. tkey][name] = true
              autocols["table:" .. tkey] = autocols["table:" .. tkey] or {}
              autocols["table:" .. tkey][name] = true
            end
          end
        end
      end
    end
  end
  self:find_rebuilt_domains(seeds, colseeds, autocols)
  for key in pairs(from.sequences) do
    if not to.sequences[key] then seeds["sequence:" .. key] = true end
  end
  -- constraints and indexes on the columns moved off a type are recreated; so are
  -- the foreign keys that use a recreated constraint's index
  local auto_recreate = {}
  for _, d in ipairs(from.deps or {}) do
    local cols = autocols[d.to]
    if d.auto and d.col and cols and cols[d.col] then
      local tkey = d.to:sub(7)
      local t = from.tables[tkey]
      local cname = d.from:sub(1, #"constraint:" + #tkey + 1) == "constraint:" .. tkey .. "."
        and d.from:sub(#"constraint:" + #tkey + 2)
      if cname and t then
        seeds["index:" .. t.schema .. "." .. cname] = true
        auto_recreate[#auto_recreate + 1] = d.from
      elseif d.from:match("^index:") then
        seeds[d.from] = true
        auto_recreate[#auto_recreate + 1] = d.from
      end
    end
  end
  -- a generated column over a column whose type changes is dropped and added again
  self.regenerate = {}
  local regen = {}
  for _, d in ipairs(from.deps or {}) do
    local cols = colseeds[d.to]
    if cols and d.col and cols[d.col] and d.from:match("^generated:") then
      local tkey = d.to:sub(7)
      local gcol = d.from:sub(#"generated:" + #tkey + 2)
      local t = to.tables[tkey]
      if t and t.columns[gcol] and t.columns[gcol].generated then
        self.regenerate[tkey .. "\0" .. gcol] = true
        regen[#regen + 1] = { d.to, gcol }
      end
    end
  end
  for _, r in ipairs(regen) do colseeds[r[1]][r[2]] = true end
  self.recreate = dependents(from.deps or {}, seeds, colseeds, autocols)
  for _, k in ipairs(auto_recreate) do self.recreate[k] = true end
  -- the default of a moved column is dropped first and set again after
  for tkey, cols in pairs(self.moved) do
    for name in pairs(cols) do self.recreate["default:" .. tkey .. "." .. name] = true end
  end
  for k in pairs(self.recreate) do
    local kind, name = k:match("^(%a+):(.*)$")
    if kind == "view" then self.replaced_views[name] = self.replaced_views[name] or (to.views[name] ~= nil)
    elseif kind == "function" and to.functions[name] then self.replaced_functions[name] = true end
  end
end

-- Deep equality of two model values, the physical column order (_order) aside.
-- (Called for every table of both models: scalar fields are compared in line, only nested
-- tables recurse.)
local function deep_equal(a, b)
  if a == b then return true end
  if type(a) ~= "table" or type(b) ~= "table" then return false end
  for k, v in pairs(a) do
    local w = b[k]
    if v ~= w and k ~= "_order" and (type(v) ~= "table" or type(w) ~= "table" or not deep_equal(v, w)) then
      return false
    end
  end
  for k in pairs(b) do
    if a[k] == nil and k ~= "_order" then return false end
  end
  return true
end

-- Is table tkey the same in both models and untouched by every replacement (nothing of
-- it recreated, retyped or moved)? The per-table steps skip such tables: on a big schema
-- with a small change they are nearly all of them.
function Planner:table_untouched(tkey)
  local known = self.untouched[tkey]
  if known ~= nil then return known end
  local a, b = self.from.tables[tkey], self.to.tables[tkey]
  local ok = a ~= nil and b ~= nil and not self.replaced_tables[tkey] and not self.dropped_tables[tkey]
    and not self.retype[tkey] and not self.moved[tkey] and deep_equal(a, b)
  if ok and not self.touched_tables then
    -- the tables that anything recreated or regenerated may belong to (a key's table part
    -- is found by trying each dot), so that the others skip the loop below
    local touched = {}
    for k in pairs(self.recreate) do
      local rest = k:match("^%a+:(.*)$") or ""
      local i = 0
      while true do
        i = rest:find(".", i + 1, true)
        if not i then break end
        touched[rest:sub(1, i - 1)] = true
      end
    end
    for k in pairs(self.regenerate) do touched[k:match("^(.-)%z") or k] = true end
    self.touched_tables = touched
  end
  if ok and self.touched_tables[tkey] then
    local rc, p = self.recreate, tkey .. "."
    for _, set in ipairs { { "constraint", a.constraints }, { "trigger", a.triggers }, { "policy", a.policies },
                           { "default", a.columns }, { "generated", a.columns } } do
      for name in pairs(set[2]) do
        if rc[set[1] .. ":" .. p .. name] or self.regenerate[tkey .. "\0" .. name] then ok = false break end
      end
      if not ok then break end
    end
  end
  self.untouched[tkey] = ok
  return ok
end

-- Is the nested object (constraint, trigger, policy of table tkey) dropped and recreated?
function Planner:recreated(kind, tkey, name)
  return self.recreate[kind .. ":" .. tkey .. "." .. name] or false
end

-- Step 1: drop dependents.
function Planner:drop_dependents()
  local from, to = self.from, self.to
  -- policies and triggers
  for _, tkey in ipairs(select(2, sorted(from.tables))) do
    local t, w = from.tables[tkey], to.tables[tkey]
    if not self.dropped_tables[tkey] and not self.replaced_tables[tkey] and not self:table_untouched(tkey) then
      for _, p in ipairs(sorted(t.policies)) do
        local wp = w.policies[p.name]
        if not wp or policy_changed(p, wp) or self:recreated("policy", tkey, p.name) then
          self:add("drop_policy", ("DROP POLICY %s ON %s"):format(ident(p.name), qn(t)),
            ("drop policy %s on %s"):format(p.name, tkey))
          if wp then self.policies_to_create[tkey .. "\0" .. p.name] = true end
        end
      end
    end
  end
  for _, kind in ipairs { "tables", "views" } do
    for _, okey in ipairs(select(2, sorted(from[kind]))) do
      local o, w = from[kind][okey], to[kind][okey]
      local gone = kind == "tables" and (self.dropped_tables[okey] or self.replaced_tables[okey])
        or kind == "views" and (not w or self.replaced_views[okey])
      if not gone and not (kind == "tables" and self:table_untouched(okey)) then
        for _, tr in ipairs(sorted(o.triggers)) do
          local wt = w.triggers[tr.name]
          if not wt or wt.def ~= tr.def or self:recreated("trigger", okey, tr.name) then
            self:add("drop_trigger", ("DROP TRIGGER %s ON %s"):format(ident(tr.name), qn(o)),
              ("drop trigger %s on %s"):format(tr.name, okey))
            if wt then self.triggers_to_create[okey .. "\0" .. tr.name] = true end
          end
        end
      end
    end
  end
  -- event triggers whose definition changes or whose function is replaced
  for _, e in ipairs(sorted(from.event_triggers)) do
    local w = to.event_triggers and to.event_triggers[e.name]
    if not w or w.event ~= e.event or w.func ~= e.func or not same_set(w.tags, e.tags)
        or self.recreate["event_trigger:" .. e.name] then
      self:add("drop_trigger", "DROP EVENT TRIGGER " .. ident(e.name), "drop event trigger " .. e.name)
      if w then self.event_triggers_to_create[e.name] = true end
    end
  end
  -- views, dependents first
  local vkeys = {}
  for _, key in ipairs(select(2, sorted(from.views))) do
    if not to.views[key] or self.replaced_views[key] then vkeys[#vkeys + 1] = "view:" .. key end
  end
  for _, vk in ipairs(reversed(topo(vkeys, from.deps or {}))) do
    local key = vk:sub(6)
    local v = from.views[key]
    self:add("drop_view", ("DROP %sVIEW %s"):format(v.materialized and "MATERIALIZED " or "", qn(v)),
      ("drop %sview %s"):format(v.materialized and "materialized " or "", key),
      nil)
  end
  -- constraints: foreign keys first, then the others
  for _, tkey in ipairs(select(2, sorted(from.tables))) do
    local t, w = from.tables[tkey], to.tables[tkey]
    local gone = self.dropped_tables[tkey] or self.replaced_tables[tkey]
    for _, c in ipairs(self:table_untouched(tkey) and {} or sorted(t.constraints)) do
      local wc = not gone and w.constraints[c.name]
      local change = not wc or wc.def ~= c.def or self:recreated("constraint", tkey, c.name)
      if gone then
        -- a foreign key between two dropped tables would block the second DROP TABLE
        change = c.type == "f" and c.ref_table ~= tkey and (self.dropped_tables[c.ref_table] or
          self.replaced_tables[c.ref_table]) and true or false
      end
      if change and wc and wc.def == c.def .. " NOT VALID" then change = false end
      if change and wc and c.def == wc.def .. " NOT VALID" and not self:recreated("constraint", tkey, c.name) then
        self.validate[#self.validate + 1] = { t = t, c = wc }
        change = false
      end
      if change then
        self:add(c.type == "f" and (gone and "drop_fk_of_dropped" or "drop_fk") or "drop_constraint",
          ("ALTER TABLE %s DROP CONSTRAINT %s"):format(qn(t), ident(c.name)),
          ("drop constraint %s from table %s"):format(c.name, tkey))
        if wc then self.constraints_to_create[tkey .. "\0" .. c.name] = true end
      end
    end
  end
  -- column defaults that use something replaced: dropped here, set again when the table is altered
  -- (in the order of the tables' and the columns' names: a plan is the same text every time)
  for _, tkey in ipairs(select(2, sorted(from.tables))) do
    local t, w = from.tables[tkey], to.tables[tkey]
    if w and not self.replaced_tables[tkey] and not self:table_untouched(tkey) then
      for _, c in ipairs(sorted(t.columns)) do
        local name = c.name
        local moved = self.moved[tkey] and self.moved[tkey][name]
        if c.default and self.recreate["default:" .. tkey .. "." .. name] and (w.columns[name] or moved) then
          self:add("drop_default", alter(t, ("ALTER COLUMN %s DROP DEFAULT"):format(ident(name))),
            ("drop the default of column %s of table %s (it uses something that changes)"):format(name, tkey))
          self.default_dropped[tkey .. "\0" .. name] = true
        end
      end
    end
  end
  for _, key in ipairs(select(2, sorted(from.indexes))) do
    local i, w = from.indexes[key], to.indexes[key]
    local owner_gone = self.dropped_tables[i.table] or self.replaced_tables[i.table]
      or (from.views[i.table] and (not to.views[i.table] or self.replaced_views[i.table]))
    if not owner_gone and (not w or w.def ~= i.def or self.recreate["index:" .. key]) then
      if self:concurrently("drop", i, w) then
        self:add("drop_index", "DROP INDEX CONCURRENTLY " .. qn(i), ("drop index %s from %s"):format(i.name, i.table),
          { txmode = "none", outside = "after" })
      else
        self:add("drop_index", "DROP INDEX " .. qn(i), ("drop index %s from %s"):format(i.name, i.table))
      end
      if w then self.indexes_to_create[key] = true end
    end
  end
end

-- May index i (of the current model for "drop", of the desired one for "create") be
-- dropped or created CONCURRENTLY? Only by policy (opts.concurrent_index), on a table that
-- exists before and after the plan (not partitioned: PostgreSQL refuses), and, for a drop,
-- only when nothing else forces it (a column change) and its replacement, if any, is
-- created concurrently too (the name must be free before that file runs).
function Planner:concurrently(op, i, w)
  local policy = self.opts.concurrent_index
  if not policy or not policy[op] then return false end
  local t, wt = self.from.tables[i.table], self.to.tables[i.table]
  if not t or not wt or t.partitioned or self.replaced_tables[i.table] or self.dropped_tables[i.table] then
    return false
  end
  if op == "drop" then
    if self.recreate["index:" .. i.schema .. "." .. i.name] then return false end
    if w then return self:concurrently("create", w) end
  end
  return true
end

local NESTED_KINDS = { default = true, generated = true, constraint = true, trigger = true }

-- The "table:..." key of the table a default, constraint or trigger key of model m is
-- part of ("constraint:schema.table.name"), nil for other keys.
nested_owner = function(m, key)
  local kind, rest = key:match("^(%a+):(.*)$")
  if not NESTED_KINDS[kind] then return nil end
  local i = 0
  while true do
    i = rest:find(".", i + 1, true)
    if not i then return nil end
    local tkey = rest:sub(1, i - 1)
    if m.tables[tkey] then return "table:" .. tkey end
  end
end

-- Step 2: drop replaced functions and removed (or replaced) tables.
function Planner:drop_functions_and_tables()
  local from, to = self.from, self.to
  local fkeys = {}
  for _, key in ipairs(select(2, sorted(from.functions))) do
    if self.replaced_functions[key] then fkeys[#fkeys + 1] = "function:" .. key end
  end
  for _, fk in ipairs(reversed(topo(fkeys, from.deps or {}))) do
    local f = from.functions[fk:sub(10)]
    self:add("drop_replaced_function", "DROP " .. func_ref(f), ("drop %s %s (to create it again)"):format(f.kind, fk:sub(10)))
  end
  local tkeys = {}
  for _, key in ipairs(select(2, sorted(from.tables))) do
    if self.dropped_tables[key] or self.replaced_tables[key] then tkeys[#tkeys + 1] = "table:" .. key end
  end
  local added = {}
  for key, t in pairs(to.tables) do
    if not from.tables[key] then added[#added + 1] = { key = key, t = t } end
  end
  table.sort(added, function(a, b) return a.key < b.key end)
  local edges = {}
  for _, k in ipairs(tkeys) do
    local t = from.tables[k:sub(7)]
    if t.partition_of then edges[#edges + 1] = { from = "table:" .. t.partition_of, to = k } end
    for _, p in ipairs(t.parents) do edges[#edges + 1] = { from = "table:" .. p, to = k } end
  end
  -- removed functions are dropped in the same order: a function whose body reads a
  -- table goes first, a function a dropped table's default or check uses goes after
  for _, key in ipairs(select(2, sorted(from.functions))) do
    if not to.functions[key] then tkeys[#tkeys + 1] = "function:" .. key end
  end
  -- only dependencies on what is dropped here order the drops; a dependent default,
  -- constraint or trigger stands for its table
  local dropping = {}
  for _, k in ipairs(tkeys) do dropping[k] = true end
  for _, d in ipairs(from.deps or {}) do
    if dropping[d.to] then
      local a = nested_owner(from, d.from) or d.from
      if a ~= d.to then edges[#edges + 1] = { from = d.to, to = a } end
    end
  end
  -- dependents first (each edge says: drop `to` before `from`)
  for _, k in ipairs(topo(tkeys, edges)) do
    if k:match("^function:") then
      local f = from.functions[k:sub(10)]
      self:add("drop_table", "DROP " .. func_ref(f), ("drop %s %s"):format(f.kind, k:sub(10)))
      goto continue
    end
    local key = k:sub(7)
    local t = from.tables[key]
    local hint
    if self.dropped_tables[key] then
      for _, a in ipairs(added) do
        if a.t.schema == t.schema then
          hint = ("table %s dropped and %s added: if this is a rename, edit the migration to use "
            .. "ALTER TABLE %s RENAME TO %s"):format(key, a.key, qn(t), ident(a.t.name))
          break
        end
      end
    else
      self:note("table %s is dropped and created again: its partitioning or inheritance changed "
        .. "(its data is lost)", key)
    end
    if t.partition_of and (self.dropped_tables[t.partition_of] or self.replaced_tables[t.partition_of]) then
      -- dropped with its parent
      goto continue
    end
    self:add("drop_table", "DROP TABLE " .. qn(t), "drop table " .. key,
      { destructive = true, rename_hint = hint })
    if hint then self:note("%s", hint) end
    ::continue::
  end
end

-- Comment statement when the comment differs from what is there after the plan.
function Planner:comment(what, ref, old, new, label)
  if old == new then return end
  self:add("comment", ("COMMENT ON %s %s IS %s"):format(what, ref, new and literal(new) or "NULL"),
    ("set comment on %s"):format(label))
end

-- Default grants of a newly created object, per kind (as acldefault gives, minus the owner).
local DEFAULT_GRANTS = { functions = { "PUBLIC EXECUTE" }, types = { "PUBLIC USAGE" } }

local PRIV_TARGET = { tables = "TABLE", views = "TABLE", sequences = "SEQUENCE", schemas = "SCHEMA",
                      types = "TYPE" }

-- "grantee PRIVILEGE[ WITH GRANT OPTION]" -> grantee, privilege, with grant option
local function parse_grant(g)
  local grantee, priv, opt = g:match("^(.-) (%u[%u ]-)( WITH GRANT OPTION)$")
  if not grantee then grantee, priv = g:match("^(.-) (%u[%u ]*)$") end
  return grantee, priv, opt ~= nil
end

-- REVOKE what old grants and new does not, then GRANT what new adds (old nil: the kind's default).
function Planner:grants(kind, ref, old, new, label, column)
  old, new = old or DEFAULT_GRANTS[kind] or {}, new or {}
  local have, want = {}, {}
  for _, g in ipairs(old) do have[g] = true end
  for _, g in ipairs(new) do want[g] = true end
  local parse = parse_grant
  for _, g in ipairs(old) do
    if not want[g] then
      local grantee, priv = parse(g)
      if column then priv = priv .. " (" .. column .. ")" end
      self:add("grant", ("REVOKE %s ON %s FROM %s"):format(priv, ref, grantee), "revoke on " .. label)
    end
  end
  for _, g in ipairs(new) do
    if not have[g] then
      local grantee, priv, opt = parse(g)
      if column then priv = priv .. " (" .. column .. ")" end
      self:add("grant", ("GRANT %s ON %s TO %s%s"):format(priv, ref, grantee, opt and " WITH GRANT OPTION" or ""),
        "grant on " .. label)
    end
  end
end

-- Step 3a: schemas, extensions, types, sequences.
function Planner:create_base_objects()
  local from, to = self.from, self.to
  for _, s in ipairs(sorted(to.schemas)) do
    local cur = from.schemas[s.name]
    if not cur then
      self:add("schema", "CREATE SCHEMA " .. ident(s.name), "add new schema named " .. s.name)
    end
    self:comment("SCHEMA", ident(s.name), cur and cur.comment, s.comment, "schema " .. s.name)
    self:grants("schemas", "SCHEMA " .. ident(s.name), cur and cur.grants, s.grants, "schema " .. s.name)
  end
  for _, e in ipairs(sorted(to.extensions)) do
    local cur = from.extensions[e.name]
    if not cur then
      local version = ""
      if e.version and e._default_version and e.version ~= e._default_version then
        version = " VERSION " .. literal(e.version)
      end
      self:add("extension", ("CREATE EXTENSION IF NOT EXISTS %s WITH SCHEMA %s%s"):format(ident(e.name),
        ident(e.schema), version), "create extension " .. e.name)
    else
      if cur.schema ~= e.schema then
        self:add("extension", ("ALTER EXTENSION %s SET SCHEMA %s"):format(ident(e.name), ident(e.schema)),
          "move extension " .. e.name)
      end
      if e.version and cur.version ~= e.version then
        self:add("extension", ("ALTER EXTENSION %s UPDATE TO %s"):format(ident(e.name), literal(e.version)),
          ("update extension %s from version %s to %s"):format(e.name, tostring(cur.version), e.version))
      end
    end
    self:comment("EXTENSION", ident(e.name), cur and cur.comment, e.comment, "extension " .. e.name)
  end
  self:create_collations()
  self:move_off_rebuilt_domains()
  -- types: enums first, then domains and composite types in dependency order; the
  -- functions a type needs (a domain's CHECK calling one) go among them
  local tkeys = {}
  for _, key in ipairs(select(2, sorted(to.types))) do tkeys[#tkeys + 1] = "type:" .. key end
  local rank = { enum = 1, domain = 2, composite = 3 }
  table.sort(tkeys, function(a, b)
    local ra, rb = rank[to.types[a:sub(6)].kind], rank[to.types[b:sub(6)].kind]
    if ra ~= rb then return ra < rb end
    return a < b
  end)
  for _, fk in ipairs(self:functions_types_need()) do tkeys[#tkeys + 1] = fk end
  for _, tk in ipairs(topo(tkeys, to.deps or {})) do
    if tk:match("^function:") then
      self:create_function(tk, "type")
      goto next_type
    end
    local key = tk:sub(6)
    local t, cur = to.types[key], from.types[key]
    if cur and self.replaced_types[key] and cur.kind == "enum" and t.kind == "enum" then
      local old = (t.name .. "_old"):sub(1, 63)
      self:note("enum type %s loses or reorders values: it is renamed to %s, created again, its columns are "
        .. "converted through text, and the old type is dropped (rows holding a removed value make this fail)", key, old)
      self:add("type", ("ALTER TYPE %s RENAME TO %s"):format(qn(cur), ident(old)), "rename type " .. key .. " to replace it")
      -- dropped in drop_removed, after the removed types that may still use it
      self.old_enums[#self.old_enums + 1] = { ref = qname(cur.schema, old), key = key }
      cur = nil
    elseif cur and self.rebuilt_domains[key] then
      cur = nil  -- dropped by move_off_rebuilt_domains
    elseif cur and self.replaced_types[key] then
      self:note("type %s changes in a way ALTER TYPE cannot express: it is dropped and created again, "
        .. "which fails while columns use it", key)
      self:add("type", ("DROP %s %s"):format(cur.kind == "domain" and "DOMAIN" or "TYPE", qn(cur)),
        "drop type " .. key .. " (to create it again)")
      cur = nil
    end
    if not cur then
      self:create_type(key, t)
    elseif t.kind == "enum" then
      for _, a in ipairs(enum_additions(cur.values, t.values)) do
        local pos = a.after and (" AFTER " .. literal(a.after)) or a.before and (" BEFORE " .. literal(a.before)) or ""
        self:add("enum_value", ("ALTER TYPE %s ADD VALUE %s%s"):format(qn(t), literal(a.value), pos),
          ("add value to enum type: %s"):format(key), { _enum_use = literal(a.value) .. "::" .. qn(t) })
      end
    elseif t.kind == "composite" then
      self:alter_composite(key, cur, t)
    elseif t.kind == "domain" then
      if cur.default ~= t.default then
        self:add("type", ("ALTER DOMAIN %s %s"):format(qn(t), t.default and ("SET DEFAULT " .. t.default) or "DROP DEFAULT"),
          "modify domain " .. key)
      end
      if (cur.notnull or false) ~= (t.notnull or false) then
        self:add("type", ("ALTER DOMAIN %s %s NOT NULL"):format(qn(t), t.notnull and "SET" or "DROP"), "modify domain " .. key)
      end
      for _, c in ipairs(sorted(cur.checks)) do
        local w = t.checks[c.name]
        if not w or w.def ~= c.def then
          self:add("type", ("ALTER DOMAIN %s DROP CONSTRAINT %s"):format(qn(t), ident(c.name)), "modify domain " .. key)
        end
      end
      for _, c in ipairs(sorted(t.checks)) do
        local o = cur.checks[c.name]
        if not o or o.def ~= c.def then
          self:add("type", ("ALTER DOMAIN %s ADD CONSTRAINT %s %s"):format(qn(t), ident(c.name), c.def), "modify domain " .. key)
        end
      end
    end
    local what = t.kind == "domain" and "DOMAIN" or "TYPE"
    self:comment(what, qn(t), cur and cur.comment, t.comment, "type " .. key)
    if t.kind == "composite" then self:attribute_comments(key, cur, t) end
    for _, c in ipairs(sorted(t.checks)) do
      local old = cur and cur.checks[c.name]
      if old and old.def ~= c.def then old = nil end
      self:comment("CONSTRAINT " .. ident(c.name) .. " ON DOMAIN", qn(t), old and old.comment, c.comment,
        ("constraint %s on domain %s"):format(c.name, key))
    end
    self:grants("types", "TYPE " .. qn(t), cur and cur.grants, t.grants, "type " .. key)
    ::next_type::
  end
  for _, s in ipairs(sorted(to.sequences)) do
    local key = s.schema .. "." .. s.name
    local cur = from.sequences[key]
    if not cur then
      self:add("sequence", ("CREATE SEQUENCE %s %s"):format(qn(s), sequence_options(s)), "create sequence " .. key)
    else
      local parts = {}
      if cur.type ~= s.type then parts[#parts + 1] = "AS " .. s.type end
      if cur.increment ~= s.increment then parts[#parts + 1] = "INCREMENT BY " .. s.increment end
      if cur.min ~= s.min then parts[#parts + 1] = "MINVALUE " .. s.min end
      if cur.max ~= s.max then parts[#parts + 1] = "MAXVALUE " .. s.max end
      if cur.start ~= s.start then parts[#parts + 1] = "START WITH " .. s.start end
      if cur.cache ~= s.cache then parts[#parts + 1] = "CACHE " .. s.cache end
      if (cur.cycle or false) ~= (s.cycle or false) then parts[#parts + 1] = s.cycle and "CYCLE" or "NO CYCLE" end
      if tonumber(s.min) > tonumber(cur.min) or tonumber(s.max) < tonumber(cur.max) then
        parts[#parts + 1] = "RESTART"
        self:note("sequence %s restarts at %s: its bounds narrowed", key, s.start)
      end
      if #parts > 0 then
        self:add("sequence", ("ALTER SEQUENCE %s %s"):format(qn(s), table.concat(parts, " ")), "modify sequence " .. key)
      end
    end
    if (cur and cur.owned_by) ~= s.owned_by then
      local owner = "NONE"
      if s.owned_by then
        local ts, tn, col = s.owned_by:match("^(.-)%.(.-)%.(.*)$")
        owner = qname(ts, tn) .. "." .. ident(col)
      end
      self:add("owned_by", ("ALTER SEQUENCE %s OWNED BY %s"):format(qn(s), owner), "set owner of sequence " .. key)
    end
    self:comment("SEQUENCE", qn(s), cur and cur.comment, s.comment, "sequence " .. key)
    self:grants("sequences", "SEQUENCE " .. qn(s), cur and cur.grants, s.grants, "sequence " .. key)
  end
end

-- The functions the desired types depend on (a domain CHECK calling one), with the
-- functions those need: they are created among the types, in dependency order.
function Planner:functions_types_need()
  local to = self.to
  local needs = {}
  for _, d in ipairs(to.deps or {}) do
    if d.to:match("^function:") and to.functions[d.to:sub(10)] then
      needs[d.from] = needs[d.from] or {}
      needs[d.from][#needs[d.from] + 1] = d.to
    end
  end
  local out, seen = {}, {}
  local function visit(k)
    for _, f in ipairs(needs[k] or {}) do
      if not seen[f] then
        seen[f] = true
        visit(f)
        out[#out + 1] = f
      end
    end
  end
  for _, key in ipairs(select(2, sorted(to.types))) do visit("type:" .. key) end
  table.sort(out)
  for _, f in ipairs(out) do self.early_functions[f] = true end
  return out
end

-- CREATE COLLATION text of collation c, with its settings spelled out (whatever FROM
-- form created it), so that it can be created where the original is absent.
local function collation_def(c)
  local opts = {}
  if c.provider == "i" then
    opts[#opts + 1] = "provider = icu"
    opts[#opts + 1] = "locale = " .. literal(c.locale or c.lc_collate or "")
  else
    opts[#opts + 1] = "provider = libc"
    if c.lc_collate == c.lc_ctype then
      opts[#opts + 1] = "locale = " .. literal(c.lc_collate or "")
    else
      opts[#opts + 1] = "lc_collate = " .. literal(c.lc_collate or "")
      opts[#opts + 1] = "lc_ctype = " .. literal(c.lc_ctype or "")
    end
  end
  if c.deterministic == false then opts[#opts + 1] = "deterministic = false" end
  return ("CREATE COLLATION %s (%s)"):format(qn(c), table.concat(opts, ", "))
end

-- Collations: created before the types and tables that use them; one whose settings
-- change is dropped and created again (which fails while columns use it).
function Planner:create_collations()
  local from, to = self.from, self.to
  for _, c in ipairs(sorted(to.collations)) do
    local key = c.schema .. "." .. c.name
    local cur = from.collations and from.collations[key]
    if cur and collation_def(cur) ~= collation_def(c) then
      self:note("collation %s changes: it is dropped and created again, which fails while columns use it", key)
      self:add("collation", "DROP COLLATION " .. qn(cur), "drop collation " .. key .. " (to create it again)")
      cur = nil
    end
    if not cur then self:add("collation", collation_def(c), "create collation " .. key) end
    self:comment("COLLATION", qn(c), cur and cur.comment, c.comment, "collation " .. key)
  end
end

-- A composite attribute definition "name type" -> the (quoted) name, the type.
local function attribute_name(def)
  local q = def:match('^(".-")%s') or def:match("^(%S+)")
  return q, def:sub(#q + 2)
end

-- COMMENT ON COLUMN for the attributes of composite type t (cur: the type as it
-- is, nil when it is created); a dropped and re-added attribute loses its comment.
function Planner:attribute_comments(key, cur, t)
  local kept = {}
  if cur and cur.kind == "composite" then
    local new = {}
    for _, d in ipairs(t.attributes) do new[attribute_name(d)] = d end
    for _, d in ipairs(cur.attributes or {}) do
      local n = attribute_name(d)
      -- ALTER ATTRIBUTE ... TYPE keeps a comment; a dropped attribute takes it along
      if new[n] then kept[n] = true end
    end
  end
  local have, want = cur and cur.kind == "composite" and cur.columns or {}, t.columns or {}
  local names = {}
  for _, d in ipairs(t.attributes) do
    local q = attribute_name(d)
    local name = q:match('^"(.*)"$')
    name = name and name:gsub('""', '"') or q
    names[#names + 1] = { name = name, q = q }
  end
  for _, a in ipairs(names) do
    local old = kept[a.q] and have[a.name] and have[a.name].comment or nil
    local new = want[a.name] and want[a.name].comment or nil
    self:comment("COLUMN", qn(t) .. "." .. a.q, old, new, ("attribute %s of type %s"):format(a.name, key))
  end
end

-- Before the types are created: the columns and composite attributes of the
-- domains that are rebuilt move to the type in between, then the domains are
-- dropped, dependents first. They come back in alter_table (columns) and in
-- alter_composite (attributes) once the domains exist again.
function Planner:move_off_rebuilt_domains()
  local from = self.from
  for _, tkey in ipairs(select(2, sorted(self.moved))) do
    local t, cols = from.tables[tkey], self.moved[tkey]
    for _, name in ipairs(select(2, sorted(cols))) do
      local col = ident(name)
      self:add("type", alter(t, ("ALTER COLUMN %s TYPE %s USING %s::%s"):format(col, cols[name], col, cols[name])),
        ("move column %s of table %s off type %s while it is rebuilt"):format(name, tkey, t.columns[name].type))
    end
  end
  for _, key in ipairs(select(2, sorted(self.moved_attrs))) do
    local attrs = self.moved_attrs[key]
    for _, attr in ipairs(select(2, sorted(attrs))) do
      if attrs[attr] then
        self:add("type", ("ALTER TYPE %s ALTER ATTRIBUTE %s TYPE %s"):format(qn(from.types[key]), attr, attrs[attr]),
          ("move attribute %s of composite type %s off a domain while it is rebuilt"):format(attr, key))
      end
    end
  end
  local dkeys = {}
  for _, key in ipairs(select(2, sorted(self.rebuilt_domains))) do dkeys[#dkeys + 1] = "type:" .. key end
  for _, dk in ipairs(reversed(topo(dkeys, from.deps or {}))) do
    local key = dk:sub(6)
    self:note("domain %s is dropped and created again (its base type or collation changes, or its base type "
      .. "is rebuilt): its columns are converted to the type beneath it and back", key)
    self:add("type", "DROP DOMAIN " .. qn(from.types[key]), "drop domain " .. key .. " (to create it again)")
  end
end

-- ALTER TYPE ... ADD/DROP/ALTER ATTRIBUTE for a composite type.
function Planner:alter_composite(key, a, b)
  local old, new = {}, {}
  for _, d in ipairs(a.attributes) do local n, rest = attribute_name(d); old[n] = rest end
  for _, d in ipairs(b.attributes) do local n, rest = attribute_name(d); new[n] = rest end
  local moved = self.moved_attrs[key] or {}
  for _, d in ipairs(a.attributes) do
    local n = attribute_name(d)
    if not new[n] then
      self:add("type", ("ALTER TYPE %s DROP ATTRIBUTE %s"):format(qn(b), n), "modify composite type " .. key)
    elseif new[n] ~= old[n] or moved[n] ~= nil then
      self:add("type", ("ALTER TYPE %s ALTER ATTRIBUTE %s TYPE %s"):format(qn(b), n, new[n]), "modify composite type " .. key)
    end
  end
  for _, d in ipairs(b.attributes) do
    if not old[attribute_name(d)] then
      self:add("type", ("ALTER TYPE %s ADD ATTRIBUTE %s"):format(qn(b), d), "modify composite type " .. key)
    end
  end
end

-- CREATE TYPE / CREATE DOMAIN for desired type t.
function Planner:create_type(key, t)
  if t.kind == "enum" then
    local vals = {}
    for i, v in ipairs(t.values) do vals[i] = literal(v) end
    self:add("type", ("CREATE TYPE %s AS ENUM (%s)"):format(qn(t), table.concat(vals, ", ")), "create enum type " .. key)
  elseif t.kind == "composite" then
    self:add("type", ("CREATE TYPE %s AS (%s)"):format(qn(t), table.concat(t.attributes, ", ")), "create composite type " .. key)
  else
    local s = ("CREATE DOMAIN %s AS %s"):format(qn(t), t.base_type)
    if t.collation then s = s .. " COLLATE " .. t.collation end
    if t.default then s = s .. " DEFAULT " .. t.default end
    if t.notnull then s = s .. " NOT NULL" end
    for _, c in ipairs(sorted(t.checks)) do s = s .. " CONSTRAINT " .. ident(c.name) .. " " .. c.def end
    self:add("type", s, "create domain " .. key)
  end
end

-- Functions whose body the server checks at creation (LANGUAGE sql) may read
-- tables: they come after the tables unless a table needs them.
-- Aggregates come with the late functions: their state functions may be among them.
function Planner:create_functions()
  local to = self.to
  local needed_by_table = {}
  for _, d in ipairs(to.deps or {}) do
    local kind = d.from:match("^(%a+):")
    if kind ~= "view" and kind ~= "function" and kind ~= "trigger" then needed_by_table[d.to] = true end
  end
  local fkeys = {}
  for _, key in ipairs(select(2, sorted(to.functions))) do fkeys[#fkeys + 1] = "function:" .. key end
  for _, fk in ipairs(topo(fkeys, to.deps or {})) do
    if not self.early_functions[fk] then
      local f = to.functions[fk:sub(10)]
      local late = f.kind == "aggregate" or (f.language == "sql" and not needed_by_table[fk])
      self:create_function(fk, late and "late_func" or "func")
    end
  end
end

-- Create (or replace) function fk of the desired model in phase, with its comment and grants.
function Planner:create_function(fk, phase)
  local key = fk:sub(10)
  local f, cur = self.to.functions[key], self.from.functions[key]
  local fresh = not cur or self.replaced_functions[key]
  if fresh or cur.def ~= f.def then
    self:add(phase, strip_semicolon(f.def), ("%s %s %s"):format(fresh and "create" or "replace", f.kind, key))
  end
  self:comment(ROUTINE_WORD[f.kind] or "FUNCTION", qn(f) .. "(" .. f.args .. ")",
    not fresh and cur.comment or nil, f.comment, f.kind .. " " .. key)
  self:grants("functions", grant_ref(f), not fresh and cur.grants or nil, f.grants, f.kind .. " " .. key)
end

local EVENT_ENABLE = { D = "DISABLE", R = "ENABLE REPLICA", A = "ENABLE ALWAYS", O = "ENABLE" }

-- Event triggers come last among the creations, so they do not fire on the plan's own DDL.
function Planner:create_event_triggers()
  local from, to = self.from, self.to
  for _, e in ipairs(sorted(to.event_triggers)) do
    local cur = from.event_triggers and from.event_triggers[e.name]
    local fresh = not cur or self.event_triggers_to_create[e.name]
    if fresh then
      local when = ""
      if #e.tags > 0 then
        local tags = {}
        for i, tg in ipairs(e.tags) do tags[i] = literal(tg) end
        when = " WHEN TAG IN (" .. table.concat(tags, ", ") .. ")"
      end
      self:add("event_trigger", ("CREATE EVENT TRIGGER %s ON %s%s EXECUTE FUNCTION %s()"):format(ident(e.name),
        e.event, when, e.func), "create event trigger " .. e.name)
    end
    if e.enabled ~= (fresh and "O" or cur.enabled) then
      self:add("event_trigger", ("ALTER EVENT TRIGGER %s %s"):format(ident(e.name), EVENT_ENABLE[e.enabled] or "ENABLE"),
        "set event trigger " .. e.name)
    end
    if (not fresh and cur.comment or nil) ~= e.comment then
      self:add("event_trigger", ("COMMENT ON EVENT TRIGGER %s IS %s"):format(ident(e.name),
        e.comment and literal(e.comment) or "NULL"), "set comment on event trigger " .. e.name)
    end
  end
end

local DEFACL_OBJECTS = { r = "TABLES", S = "SEQUENCES", f = "FUNCTIONS", T = "TYPES", n = "SCHEMAS" }

-- ALTER DEFAULT PRIVILEGES: revoke the entries that go, grant the new ones. An absent
-- global entry is the built-in default (acldefault, carried as _base by the other side).
function Planner:default_privileges()
  local from, to = self.from, self.to
  local keys, seen = {}, {}
  for _, m in ipairs { from.default_privileges or {}, to.default_privileges or {} } do
    for k in pairs(m) do
      if not seen[k] then seen[k] = true; keys[#keys + 1] = k end
    end
  end
  table.sort(keys)
  for _, key in ipairs(keys) do
    local a, b = (from.default_privileges or {})[key], (to.default_privileges or {})[key]
    local any = a or b
    local old = a and a.grants or b._base or {}
    local new = b and b.grants or a._base or {}
    local head = ("ALTER DEFAULT PRIVILEGES FOR ROLE %s%s "):format(any.role,
      any.schema and (" IN SCHEMA " .. ident(any.schema)) or "")
    local what = DEFACL_OBJECTS[any.objtype] or "TABLES"
    local label = ("default privileges of %s on %s%s"):format(any.role, what:lower(),
      any.schema and (" in schema " .. any.schema) or "")
    local have, want = {}, {}
    for _, g in ipairs(old) do have[g] = true end
    for _, g in ipairs(new) do want[g] = true end
    for _, g in ipairs(old) do
      if not want[g] then
        local grantee, priv = parse_grant(g)
        self:add("default_privileges", ("%sREVOKE %s ON %s FROM %s"):format(head, priv, what, grantee), "revoke " .. label)
      end
    end
    for _, g in ipairs(new) do
      if not have[g] then
        local grantee, priv, opt = parse_grant(g)
        self:add("default_privileges", ("%sGRANT %s ON %s TO %s%s"):format(head, priv, what, grantee,
          opt and " WITH GRANT OPTION" or ""), "grant " .. label)
      end
    end
  end
end

-- Step 3b: tables.
function Planner:create_tables()
  local from, to = self.from, self.to
  local tkeys, edges = {}, {}
  for _, key in ipairs(select(2, sorted(to.tables))) do
    local t = to.tables[key]
    tkeys[#tkeys + 1] = "table:" .. key
    if t.partition_of then edges[#edges + 1] = { from = "table:" .. key, to = "table:" .. t.partition_of } end
    for _, p in ipairs(t.parents) do edges[#edges + 1] = { from = "table:" .. key, to = "table:" .. p } end
  end
  -- a column whose type is another table's row type
  for _, d in ipairs(to.deps or {}) do
    if not d.auto and d.from:sub(1, 6) == "table:" and d.to:sub(1, 6) == "table:" then edges[#edges + 1] = d end
  end
  for _, tk in ipairs(topo(tkeys, edges)) do
    local key = tk:sub(7)
    local t, cur = to.tables[key], from.tables[key]
    if cur and self:table_untouched(key) then goto next_table end
    if not cur or self.replaced_tables[key] then
      self:create_table(key, t)
      cur = nil
    else
      self:alter_table(key, cur, t)
    end
    -- (the labels and names are made only for what changes: most columns have neither
    -- comment nor grants, on both sides)
    for _, c in ipairs(columns_by_order(t)) do
      local old = cur and cur.columns[c.name]
      if old and column_replaced(old, c) then old = nil end
      if (old and old.comment) ~= c.comment then
        self:comment("COLUMN", qn(t) .. "." .. ident(c.name), old and old.comment, c.comment,
          ("column %s.%s"):format(key, c.name))
      end
    end
    self:comment("TABLE", qn(t), cur and cur.comment, t.comment, "table " .. key)
    -- table privileges first: revoking one on the table also revokes it on every column
    self:grants("tables", "TABLE " .. qn(t), cur and cur.grants, t.grants, "table " .. key)
    for _, c in ipairs(columns_by_order(t)) do
      local old = cur and cur.columns[c.name]
      if old and column_replaced(old, c) then old = nil end
      local og = old and old.grants
      if (og and #og or 0) > 0 or #(c.grants or {}) > 0 then
        self:grants("columns", "TABLE " .. qn(t), og or {}, c.grants, ("column %s.%s"):format(key, c.name),
          ident(c.name))
      end
    end
    for _, c in ipairs(sorted(t.constraints)) do
      local old = cur and cur.constraints[c.name]
      local fresh = not old or self.constraints_to_create[key .. "\0" .. c.name]
      if fresh and not (self.inline[key] and self.inline[key][c.name]) then
        self:add(c.type == "f" and "fk" or "constraint",
          ("ALTER TABLE %s ADD CONSTRAINT %s %s"):format(qn(t), ident(c.name), c.def),
          ("add constraint %s to table %s"):format(c.name, key))
      end
      self:comment("CONSTRAINT " .. ident(c.name) .. " ON", qn(t), not fresh and old.comment or nil, c.comment,
        ("constraint %s on %s"):format(c.name, key))
    end
    for _, tr in ipairs(sorted(t.triggers)) do self:create_trigger(key, t, cur, tr) end
    for _, p in ipairs(sorted(t.policies)) do
      local old = cur and cur.policies[p.name]
      local fresh = not old or self.policies_to_create[key .. "\0" .. p.name]
      if fresh then
        self:add("policy", policy_def(key, p), ("create policy %s on %s"):format(p.name, key))
      end
      self:comment("POLICY " .. ident(p.name) .. " ON", qn(t), not fresh and old.comment or nil, p.comment,
        ("policy %s on %s"):format(p.name, key))
    end
    ::next_table::
  end
  for _, v in ipairs(self.validate) do
    self:add("fk", ("ALTER TABLE %s VALIDATE CONSTRAINT %s"):format(qn(v.t), ident(v.c.name)),
      ("validate constraint %s on %s"):format(v.c.name, v.t.schema .. "." .. v.t.name))
  end
end

-- Create trigger tr on o (table or view) when new or recreated; its enabled state and comment.
function Planner:create_trigger(okey, o, cur, tr)
  local old = cur and cur.triggers[tr.name]
  local fresh = not old or self.triggers_to_create[okey .. "\0" .. tr.name]
  if fresh then
    self:add("trigger", tr.def, ("create trigger %s on %s"):format(tr.name, okey))
  end
  local was = fresh and "O" or old.enabled
  if tr.enabled ~= was then
    self:add("trigger", ("ALTER TABLE %s %s %s"):format(qn(o), ENABLE[tr.enabled] or "ENABLE TRIGGER", ident(tr.name)),
      ("set trigger %s on %s"):format(tr.name, okey))
  end
  self:comment("TRIGGER " .. ident(tr.name) .. " ON", qn(o), not fresh and old.comment or nil, tr.comment,
    ("trigger %s on %s"):format(tr.name, okey))
end

-- CREATE TABLE with inline columns and constraints (foreign keys and NOT VALID checks come later).
function Planner:create_table(key, t)
  local inline = {}
  self.inline[key] = inline
  local head = ("CREATE %sTABLE %s"):format(t.unlogged and "UNLOGGED " or "", qn(t))
  local items = {}
  if not t.partition_of then
    for _, c in ipairs(columns_by_order(t)) do
      if not c._inherited then items[#items + 1] = column_def(c, t.name) end
    end
  end
  for _, c in ipairs(sorted(t.constraints)) do
    if c.type ~= "f" and not c.def:find(" NOT VALID$") then
      items[#items + 1] = "CONSTRAINT " .. ident(c.name) .. " " .. c.def
      inline[c.name] = true
    end
  end
  local sql
  if t.partition_of then
    sql = head .. " PARTITION OF " .. key_qname(t.partition_of)
    if #items > 0 then sql = sql .. " (" .. table.concat(items, ", ") .. ")" end
    sql = sql .. " " .. t.partition_bound
  elseif t.of_type then
    -- the columns are the type's attributes; their defaults and NOT NULL are set below
    items = {}
    for _, c in ipairs(sorted(t.constraints)) do
      if inline[c.name] then items[#items + 1] = "CONSTRAINT " .. ident(c.name) .. " " .. c.def end
    end
    sql = head .. " OF " .. t.of_type
    if #items > 0 then sql = sql .. " (" .. table.concat(items, ", ") .. ")" end
  else
    sql = head .. " (" .. table.concat(items, ", ") .. ")"
    if #t.parents > 0 then sql = sql .. " INHERITS (" .. parent_list(t.parents) .. ")" end
  end
  if t.partition_key then sql = sql .. " PARTITION BY " .. t.partition_key end
  sql = sql .. options_clause(t.options)
  self:add("table", sql, "create table " .. key)
  if t.partition_of then
    -- columns of a partition come from its parent; keep what the partition declares itself
    for _, c in ipairs(columns_by_order(t)) do
      local pc = self.to.tables[t.partition_of] and self.to.tables[t.partition_of].columns[c.name]
      if pc then
        pc = setmetatable({ identity = c.identity or false, generated = c.generated or false }, { __index = pc })
        self:alter_column(key, t, pc, c)
      end
    end
  elseif t.of_type then
    for _, c in ipairs(columns_by_order(t)) do
      self:alter_column(key, t, { name = c.name, type = c.type, collation = c.collation }, c)
    end
  else
    for _, c in ipairs(columns_by_order(t)) do self:column_settings(key, t, {}, c) end
  end
  if t.rls then self:add("alter_table", ("ALTER TABLE %s ENABLE ROW LEVEL SECURITY"):format(qn(t)), "enable row level security on " .. key) end
  if t.force_rls then self:add("alter_table", ("ALTER TABLE %s FORCE ROW LEVEL SECURITY"):format(qn(t)), "force row level security on " .. key) end
end

-- Type changes PostgreSQL will not do without an explicit cast (no implicit or
-- assignment cast): from strings to anything else, to or from user-defined types,
-- and between json and jsonb.
local function stringish(t)
  return t == "text" or t:match("^character") ~= nil or t == "name"
end

-- Does ALTER COLUMN ... TYPE need USING for this change?
needs_using = function(from, to)
  if stringish(from) and not stringish(to) then return true end
  if to:find(".", 1, true) or from:find(".", 1, true) then return true end
  if (from == "json" and to == "jsonb") or (from == "jsonb" and to == "json") then return true end
  if (from == "boolean") ~= (to == "boolean") and not stringish(to) then return true end
  return false
end


-- ALTER COLUMN clauses taking column a to column b (same name, same generation).
function Planner:alter_column(key, t, a, b)
  local col = ident(b.name)
  local label = ("modify column %s of table %s"):format(b.name, key)
  local forced = self.retype[key] and self.retype[key][b.name]
  local forced_default = false
  local moved = self.moved[key] and self.moved[key][b.name]
  if self.default_dropped[key .. "\0" .. b.name] then
    a = setmetatable({ default = false }, { __index = a })
  end
  if moved then
    -- the column was moved off its domain (move_off_rebuilt_domains) and has the type in between
    a = setmetatable({ type = moved, collation = false }, { __index = a })
  end
  local retype = a.type ~= b.type or a.collation ~= b.collation or forced
  -- from an enum to another type: enums cast to nothing but text
  local via_text = not forced and not moved and a.type ~= b.type and self.from_enums[element_type(a.type)]
  -- a default the new type cannot take by an implicit cast goes first, and is set again after
  if retype and a.default and not forced and (via_text or moved or needs_using(a.type, b.type)) then
    forced_default = true
  end
  if (forced or forced_default) and a.default then
    self:add("alter_table", alter(t, ("ALTER COLUMN %s DROP DEFAULT"):format(col)), label)
    a = setmetatable({ default = false }, { __index = a })
  end
  if retype and a.default and a.default == b.default then
    self:add("alter_table", alter(t, ("ALTER COLUMN %s DROP DEFAULT"):format(col)), label)
    a = setmetatable({ default = false }, { __index = a })
  end
  if a.default ~= b.default and not b.default and a.default then
    self:add("alter_table", alter(t, ("ALTER COLUMN %s DROP DEFAULT"):format(col)), label)
  end
  if a.identity and not b.identity then
    self:add("alter_table", alter(t, ("ALTER COLUMN %s DROP IDENTITY"):format(col)), label)
  end
  if a.generated and not b.generated then
    self:add("alter_table", alter(t, ("ALTER COLUMN %s DROP EXPRESSION"):format(col)), label)
  end
  if retype then
    local s = ("ALTER COLUMN %s TYPE %s"):format(col, b.type)
    if b.collation then s = s .. " COLLATE " .. b.collation end
    if forced or via_text then
      s = s .. (" USING %s::%s::%s"):format(col, b.type:match("%[%]$") and "text[]" or "text", b.type)
    elseif moved then
      s = s .. (" USING %s::%s"):format(col, b.type)
    elseif needs_using(a.type, b.type) then
      s = s .. (" USING %s::%s"):format(col, b.type)
      self:note("column %s of table %s changes type from %s to %s with USING %s::%s: check that the conversion is the one you want",
        b.name, key, a.type, b.type, b.name, b.type)
    end
    self:add("alter_table", alter(t, s), label)
  end
  if b.default and (a.default or nil) ~= b.default then
    self:add("alter_table", alter(t, ("ALTER COLUMN %s SET DEFAULT %s"):format(col, b.default)), label)
  end
  if (a.notnull or false) ~= (b.notnull or false) then
    self:add("alter_table", alter(t, ("ALTER COLUMN %s %s NOT NULL"):format(col, b.notnull and "SET" or "DROP")), label)
  end
  -- a new type brings its own default storage
  self:column_settings(key, t, retype and setmetatable({ storage = false }, { __index = a }) or a, b)
  if b.identity and not a.identity then
    for _, skey in ipairs(select(2, sorted(self.from.sequences))) do
      local seq = self.from.sequences[skey]
      if seq.owned_by == key .. "." .. b.name and not self.to.sequences[skey] and not self.dropped_early[skey] then
        self.dropped_early[skey] = true
        self:add("alter_table", "DROP SEQUENCE " .. qn(seq), "drop sequence " .. skey .. " (the column becomes an identity)")
      end
    end
    self:add("alter_table", alter(t, ("ALTER COLUMN %s ADD %s"):format(col, identity_clause(b.identity, b.type, t.name, b.name))), label)
  elseif a.identity and b.identity then
    local x, y, parts = a.identity, b.identity, {}
    if x.always ~= y.always then parts[#parts + 1] = "SET GENERATED " .. (y.always and "ALWAYS" or "BY DEFAULT") end
    if x.increment ~= y.increment then parts[#parts + 1] = "SET INCREMENT BY " .. y.increment end
    if x.min ~= y.min then parts[#parts + 1] = "SET MINVALUE " .. y.min end
    if x.max ~= y.max then parts[#parts + 1] = "SET MAXVALUE " .. y.max end
    if x.start ~= y.start then parts[#parts + 1] = "SET START WITH " .. y.start end
    if x.cache ~= y.cache then parts[#parts + 1] = "SET CACHE " .. y.cache end
    if (x.cycle or false) ~= (y.cycle or false) then parts[#parts + 1] = y.cycle and "SET CYCLE" or "SET NO CYCLE" end
    if tonumber(y.min) > tonumber(x.min) or tonumber(y.max) < tonumber(x.max) then
      parts[#parts + 1] = "RESTART"
      self:note("identity column %s of table %s restarts at %s: its bounds narrowed", b.name, key, y.start)
    end
    if #parts > 0 then
      self:add("alter_table", alter(t, ("ALTER COLUMN %s %s"):format(col, table.concat(parts, " "))), label)
    end
  end
end

-- SET STORAGE / COMPRESSION / STATISTICS taking column a's settings to column b's.
function Planner:column_settings(key, t, a, b)
  local col = ident(b.name)
  local label = ("modify column %s of table %s"):format(b.name, key)
  if (a.storage or nil) ~= (b.storage or nil) then
    local storage = b.storage or b._type_storage or a._type_storage
    if storage then self:add("alter_table", alter(t, ("ALTER COLUMN %s SET STORAGE %s"):format(col, storage)), label) end
  end
  if (a.compression or nil) ~= (b.compression or nil) then
    self:add("alter_table", alter(t, ("ALTER COLUMN %s SET COMPRESSION %s"):format(col, b.compression or "default")), label)
  end
  if (a.statistics or nil) ~= (b.statistics or nil) then
    self:add("alter_table", alter(t, ("ALTER COLUMN %s SET STATISTICS %s"):format(col, b.statistics or "-1")), label)
  end
end

-- ALTER TABLE statements taking table a to table b: columns dropped, added and altered; typing,
-- partition, inheritance, persistence, options and row level security.
function Planner:alter_table(key, a, b)
  local dropped, added = {}, {}
  if a.of_type and a.of_type ~= b.of_type then
    self:add("alter_table", alter(b, "NOT OF"), ("table %s is no longer of type %s"):format(key, a.of_type))
  end
  -- generated columns first: they may depend on the other dropped columns
  local old_cols = columns_by_order(a)
  table.sort(old_cols, function(x, y)
    if (x.generated ~= nil) ~= (y.generated ~= nil) then return x.generated ~= nil end
    return (x._order or 0) < (y._order or 0)
  end)
  for _, c in ipairs(old_cols) do
    local w = b.columns[c.name]
    if not w or column_replaced(c, w) or self.regenerate[key .. "\0" .. c.name] then
      if not c._inherited then
        dropped[#dropped + 1] = c.name
        local hint
        if not w then
          for _, nc in ipairs(sorted(b.columns)) do
            local name = nc.name
            if not a.columns[name] and nc.type == c.type then
              hint = ("column %s dropped and %s added in table %s: if this is a rename, edit the migration to use "
                .. "ALTER TABLE %s RENAME COLUMN %s TO %s"):format(c.name, name, key, qn(b), ident(c.name), ident(name))
              break
            end
          end
        else
          self:note("generated column %s of table %s is dropped and added again (its expression or an input "
            .. "column's type changes)", c.name, key)
        end
        self:add("alter_table", alter(b, "DROP COLUMN " .. ident(c.name)),
          ("drop column %s from table %s"):format(c.name, key), { destructive = not c.generated, rename_hint = hint })
        if hint then self:note("%s", hint) end
      end
    end
  end
  for _, c in ipairs(columns_by_order(b)) do
    local old = a.columns[c.name]
    if not old or column_replaced(old, c) or self.regenerate[key .. "\0" .. c.name] then
      if not c._inherited then
        added[#added + 1] = c.name
        self:add("alter_table", alter(b, "ADD COLUMN " .. column_def(c, b.name)), ("add column %s to table %s"):format(c.name, key))
        self:column_settings(key, b, {}, c)
      end
    elseif not (c._inherited and old._inherited) then
      self:alter_column(key, b, old, c)
    end
  end
  if a.partition_of and (a.partition_of ~= b.partition_of or a.partition_bound ~= b.partition_bound) then
    self:add("alter_table", ("ALTER TABLE %s DETACH PARTITION %s"):format(key_qname(a.partition_of), qn(b)),
      ("detach partition %s from %s"):format(key, a.partition_of))
  end
  if b.partition_of and (a.partition_of ~= b.partition_of or a.partition_bound ~= b.partition_bound) then
    self:add("alter_table", ("ALTER TABLE %s ATTACH PARTITION %s %s"):format(key_qname(b.partition_of), qn(b),
      b.partition_bound), ("attach partition %s to %s"):format(key, b.partition_of))
  end
  local want_parent, have_parent = {}, {}
  for _, p in ipairs(b.parents) do want_parent[p] = true end
  for _, p in ipairs(a.parents) do
    have_parent[p] = true
    if not want_parent[p] then
      self:add("alter_table", alter(b, "NO INHERIT " .. key_qname(p)), ("table %s stops inheriting from %s"):format(key, p))
    end
  end
  for _, p in ipairs(b.parents) do
    if not have_parent[p] then
      self:add("alter_table", alter(b, "INHERIT " .. key_qname(p)), ("table %s inherits from %s"):format(key, p))
    end
  end
  if b.of_type and a.of_type ~= b.of_type then
    self:add("alter_table", alter(b, "OF " .. b.of_type), ("table %s becomes of type %s"):format(key, b.of_type))
  end
  if (a.unlogged or false) ~= (b.unlogged or false) then
    self:add("alter_table", alter(b, b.unlogged and "SET UNLOGGED" or "SET LOGGED"), "modify table " .. key)
  end
  if not same_set(a.options, b.options) then
    local want = {}
    for _, o in ipairs(b.options) do want[o:match("^[^=]*")] = true end
    local reset = {}
    for _, o in ipairs(a.options) do
      local k = o:match("^[^=]*")
      if not want[k] then reset[#reset + 1] = k end
    end
    if #reset > 0 then self:add("alter_table", alter(b, "RESET (" .. table.concat(reset, ", ") .. ")"), "modify table " .. key) end
    if #b.options > 0 then self:add("alter_table", alter(b, "SET (" .. table.concat(b.options, ", ") .. ")"), "modify table " .. key) end
  end
  if (a.rls or false) ~= (b.rls or false) then
    self:add("alter_table", alter(b, (b.rls and "ENABLE" or "DISABLE") .. " ROW LEVEL SECURITY"), "modify table " .. key)
  end
  if (a.force_rls or false) ~= (b.force_rls or false) then
    self:add("alter_table", alter(b, (b.force_rls and "" or "NO ") .. "FORCE ROW LEVEL SECURITY"), "modify table " .. key)
  end
end

-- Step 4: indexes, views, triggers on views.
function Planner:create_indexes_and_views()
  local from, to = self.from, self.to
  for _, key in ipairs(select(2, sorted(to.indexes))) do
    local i, cur = to.indexes[key], from.indexes[key]
    local owner_new = (to.tables[i.table] and (not from.tables[i.table] or self.replaced_tables[i.table]))
      or (to.views[i.table] and (not from.views[i.table] or self.replaced_views[i.table]))
    local fresh = not cur or self.indexes_to_create[key] or owner_new
    if fresh and self:concurrently("create", i) then
      self:add("index", (i.def:gsub("^CREATE (%u* ?)INDEX ", "CREATE %1INDEX CONCURRENTLY ", 1)),
        ("create index %s to table: %s"):format(i.name, i.table), { txmode = "none", outside = "after" })
    elseif fresh then
      self:add(to.views[i.table] and "view_index" or "index", (i.def:gsub(" ON ONLY ", " ON ", 1)), ("create index %s to table: %s"):format(i.name, i.table))
    end
    self:comment("INDEX", qn(i), not fresh and cur.comment or nil, i.comment, "index " .. key)
  end
  local vkeys = {}
  for _, key in ipairs(select(2, sorted(to.views))) do vkeys[#vkeys + 1] = "view:" .. key end
  for _, vk in ipairs(topo(vkeys, to.deps or {})) do
    local key = vk:sub(6)
    local v, cur = to.views[key], from.views[key]
    local fresh = not cur or self.replaced_views[key]
    if fresh then
      local sql = ("CREATE %sVIEW %s%s AS %s"):format(v.materialized and "MATERIALIZED " or "", qn(v),
        options_clause(v.options), strip_semicolon(v.def))
      if v.materialized and not v.populated then sql = sql .. " WITH NO DATA" end
      self:add("view", sql, ("create %sview %s"):format(v.materialized and "materialized " or "", key))
    end
    local what = v.materialized and "MATERIALIZED VIEW" or "VIEW"
    self:comment(what, qn(v), not fresh and cur.comment or nil, v.comment, "view " .. key)
    local vcols = {}
    for name, c in pairs(v.columns) do vcols[name] = c end
    -- a comment removed from a view column that stays
    for name, c in pairs(not fresh and cur.columns or {}) do
      if not vcols[name] then vcols[name] = { name = c.name } end
    end
    for _, c in ipairs(sorted(vcols)) do
      local old = not fresh and cur.columns[c.name] or nil
      self:comment("COLUMN", qn(v) .. "." .. ident(c.name), old and old.comment, c.comment,
        ("column %s.%s"):format(key, c.name))
    end
    self:grants("views", "TABLE " .. qn(v), not fresh and cur.grants or nil, v.grants, "view " .. key)
    for _, tr in ipairs(sorted(v.triggers)) do self:create_trigger(key, v, not fresh and cur or nil, tr) end
  end
end

-- Step 5: drop what is gone, dependents first.
function Planner:drop_removed()
  local from, to = self.from, self.to
  local tkeys = {}
  for _, key in ipairs(select(2, sorted(from.types))) do
    if not to.types[key] then tkeys[#tkeys + 1] = "type:" .. key end
  end
  for _, tk in ipairs(reversed(topo(tkeys, from.deps or {}))) do
    local t = from.types[tk:sub(6)]
    self:add("drop_type", ("DROP %s %s"):format(t.kind == "domain" and "DOMAIN" or "TYPE", qn(t)), "drop type " .. tk:sub(6))
  end
  for _, e in ipairs(self.old_enums) do
    self:add("drop_type", "DROP TYPE " .. e.ref, "drop the replaced type " .. e.key)
  end
  for _, c in ipairs(sorted(from.collations)) do
    if not (to.collations and to.collations[c.schema .. "." .. c.name]) then
      self:add("drop_collation", "DROP COLLATION " .. qn(c), "drop collation " .. c.schema .. "." .. c.name)
    end
  end
  for _, s in ipairs(sorted(from.sequences)) do
    local key = s.schema .. "." .. s.name
    if not to.sequences[key] then
      local owner_gone = false
      if s.owned_by then
        local tkey, col = s.owned_by:match("^(.*)%.(.-)$")
        owner_gone = self.dropped_tables[tkey] or self.replaced_tables[tkey]
          or not (to.tables[tkey] and to.tables[tkey].columns[col])
      end
      if not owner_gone and not self.dropped_early[key] then
        self:add("drop_sequence", "DROP SEQUENCE " .. qn(s), "drop sequence " .. key)
      end
    end
  end
  for _, e in ipairs(sorted(from.extensions)) do
    if not to.extensions[e.name] then
      self:add("drop_extension", "DROP EXTENSION " .. ident(e.name), "drop extension " .. e.name)
    end
  end
  for _, s in ipairs(sorted(from.schemas)) do
    if not to.schemas[s.name] then
      self:add("drop_schema", "DROP SCHEMA " .. ident(s.name), "drop schema named " .. s.name, { destructive = true })
    end
  end
end

--- diff.prepare(from_model, to_model [, opts]) -> planner | nil, message: the first step of
-- diff.plan, which finds what is replaced and what is recreated around it; then
--   planner:hints()  -> { _recreate = keys, _untouched = table key -> bool } (what
--                       dbhost.schema.subset needs, before the statements are made)
--   planner:finish() -> plan | nil, message (the rest of diff.plan; once)
-- The verification cuts its part and starts copying it between the two.
function M.prepare(from, to, opts)
  opts = opts or {}
  local self = setmetatable({
    from = from, to = to, stmts = {}, notes = {}, validate = {}, inline = {},
    policies_to_create = {}, triggers_to_create = {}, constraints_to_create = {}, indexes_to_create = {},
    retype = {}, dropped_early = {}, default_dropped = {}, old_enums = {},
    event_triggers_to_create = {}, early_functions = {}, opts = opts, from_enums = {}, untouched = {},
  }, Planner)
  for _, t in pairs(from.types) do
    if t.kind == "enum" then self.from_enums[qn(t)] = true end
  end
  local ok, err = pcall(self.find_replacements, self)
  if not ok then return nil, "planning schema changes: " .. tostring(err) end
  return self
end

function Planner:hints()
  return { _recreate = self.recreate, _changed_columns = self:changed_columns(),
           _untouched = setmetatable({}, { __index = function(_, tkey) return self:table_untouched(tkey) end }) }
end

-- The columns the plan changes though the two models spell them the same (a column
-- converted off an enum or a domain that is rebuilt, a generated column made again):
-- "schema.table" -> { column = true }
function Planner:changed_columns()
  local out = {}
  local function add(tkey, name)
    out[tkey] = out[tkey] or {}
    out[tkey][name] = true
  end
  for tkey, cols in pairs(self.retype) do
    for name in pairs(cols) do add(tkey, name) end
  end
  for tkey, cols in pairs(self.moved) do
    for name in pairs(cols) do add(tkey, name) end
  end
  for k in pairs(self.regenerate) do
    local tkey, name = k:match("^(.-)%z(.*)$")
    if tkey then add(tkey, name) end
  end
  return out
end

function Planner:finish()
  local from, to = self.from, self.to
  local ok, err = pcall(function()
    self:drop_dependents()
    self:drop_functions_and_tables()
    self:create_base_objects()
    self:create_functions()
    self:create_tables()
    self:create_indexes_and_views()
    self:create_event_triggers()
    self:default_privileges()
    self:drop_removed()
  end)
  if not ok then return nil, "planning schema changes: " .. tostring(err) end
  -- phase order, then the order added (a stable sort by phase: statements are numbered
  -- as added, and a plan of a whole schema has tens of thousands of them)
  local by_phase, phases = {}, {}
  for _, st in ipairs(self.stmts) do
    local l = by_phase[st._phase]
    if not l then l = {}; by_phase[st._phase] = l; phases[#phases + 1] = st._phase end
    l[#l + 1] = st
  end
  table.sort(phases)
  local ordered = {}
  for _, ph in ipairs(phases) do
    for _, st in ipairs(by_phase[ph]) do ordered[#ordered + 1] = st end
  end
  self.stmts = ordered
  -- A value added by ALTER TYPE ... ADD VALUE cannot be used in the transaction
  -- that added it (PostgreSQL 12+; before 12 the statement itself cannot run in one).
  for _, s in ipairs(self.stmts) do
    if s._enum_use then
      local used = (from.server_version or 120000) < 120000 or (to.server_version or 120000) < 120000
      for _, o in ipairs(self.stmts) do
        if o ~= s and o.sql:find(s._enum_use, 1, true) then used = true end
      end
      if used then
        s.txmode = "none"
        self:note("enum values are added and used in the same migration: the file runs with -- atlas:txmode none")
      end
      s._enum_use = nil
    end
  end
  -- _recreate: the dependency keys dropped and created again around the changes, and
  -- _untouched: the tables found equal and untouched (for dbhost.schema.subset, which
  -- verifies a plan on the part of the schema it is about)
  local plan = { statements = {}, txmode_none = false, notes = self.notes, _recreate = self.recreate,
                 _changed_columns = self:changed_columns(),
                 _untouched = self.untouched }
  for i, s in ipairs(self.stmts) do
    s._phase, s._n = nil, nil
    s.destructive = s.destructive or false
    plan.statements[i] = s
    if s.txmode == "none" then plan.txmode_none = true end
  end
  return plan
end

--- diff.plan(from_model, to_model [, opts]) -> plan | nil, message
function M.plan(from, to, opts)
  local planner, err = M.prepare(from, to, opts)
  if not planner then return nil, err end
  return planner:finish()
end

--- diff.render(plan) -> migration file text (Atlas's format; "" for an empty plan)
function M.render(plan)
  local out = {}
  if plan.txmode_none then out[#out + 1] = "-- atlas:txmode none\n\n" end
  for _, s in ipairs(plan.statements) do
    if s.comment then
      out[#out + 1] = "-- " .. s.comment:gsub("^%l", string.upper):gsub("\n", " ") .. "\n"
    end
    out[#out + 1] = s.sql .. ";\n"
  end
  return table.concat(out)
end

return M
