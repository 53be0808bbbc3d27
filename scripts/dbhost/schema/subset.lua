--- dbhost.schema.subset: the part of two schema models a plan is about, for verifying the
-- plan at the cost of the change rather than of the whole schema.
--
--   local subset = require "dbhost.schema.subset"
--   local from_sub, to_sub = subset.of(plan, from, to)   -- nil when it cannot be cut
--
-- plan: a plan of dbhost.schema.diff, or the hints of its planner's first step
-- (diff.prepare(...):hints()): what subset reads is plan._recreate and plan._untouched.
--
-- The part holds every object that differs between the models, every object the plan drops
-- and recreates around a change (plan._recreate, from the planner), and, as "stubs", what
-- those need to exist: the tables their foreign keys, views and indexes point at, the types,
-- sequences and functions they use, parents of partitions and children. A stub is the same
-- on both sides, so it plans nothing. A table needed only for some of its columns (those the
-- part's foreign keys point at, its indexes cover, its views read) is cut to those columns
-- and the keys the foreign keys use; any other stub table keeps its columns and its own
-- checks and keys, but not its foreign keys, triggers or policies (they would pull in more
-- of the schema).
-- Schemas, extensions and collations are kept whole (they are few). The caller plans the
-- two parts again and uses them only when that plan is the same statements as the full one.
local model = require "dbhost.schema.model"

local M = {}

-- Model values equal, the fields starting with "_" aside.
-- (Scalar fields are compared in line, only nested tables recurse.)
local UNDERSCORE = ("_"):byte()
local function private(k) return type(k) == "string" and k:byte() == UNDERSCORE end
local function same(a, b)
  if a == b then return true end
  if type(a) ~= "table" or type(b) ~= "table" then return false end
  for k, v in pairs(a) do
    local w = b[k]
    if v ~= w and (type(v) ~= "table" or type(w) ~= "table" or not same(v, w)) and not private(k) then
      return false
    end
  end
  for k in pairs(b) do
    if a[k] == nil and not private(k) then return false end
  end
  return true
end

local KIND_OF = { table = "tables", view = "views", type = "types", ["function"] = "functions",
                  sequence = "sequences", index = "indexes", event_trigger = "event_triggers" }

-- "kind\0key" -> kind, key (nil for nil)
local function split_id(id)
  if not id then return nil end
  return id:match("^(.-)\0(.*)$")
end

local NESTED = { constraint = true, trigger = true, policy = true, default = true, generated = true }

-- owner_of(key) -> the top-level object id ("kind\0key") a dependency key belongs to, for
-- the models ms: a constraint, trigger, policy or default key is its table's (or view's), a
-- constraint's index is its table's; the rest name themselves.
local function owner_resolver(ms)
  local cache = {}
  local conindex
  -- "index:schema.name" of a key constraint: the index is named after the constraint
  local function index_owner(key)
    if not conindex then
      conindex = {}   -- constraint name -> table key, or a list of them
      for _, m in ipairs(ms) do
        for tkey, t in pairs(m.tables) do
          for name, c in pairs(t.constraints) do
            local ty = c.type
            if ty == "p" or ty == "u" or ty == "x" then
              local o = conindex[name]
              if o == nil then conindex[name] = tkey
              elseif type(o) == "string" then if o ~= tkey then conindex[name] = { o, tkey } end
              else o[#o + 1] = tkey end
            end
          end
        end
      end
    end
    local rest = key:sub(7)
    local i = 0
    while true do
      i = rest:find(".", i + 1, true)
      if not i then return nil end
      local schema, name = rest:sub(1, i - 1), rest:sub(i + 1)
      local o = conindex[name]
      for _, tkey in ipairs(type(o) == "table" and o or { o }) do
        for _, m in ipairs(ms) do
          local t = m.tables[tkey]
          if t and t.schema == schema then return "tables\0" .. tkey end
        end
      end
    end
  end
  return function(key)
    local o = cache[key]
    if o ~= nil then return o or nil end
    local kind, rest = key:match("^([%a_]+):(.*)$")
    if NESTED[kind] then
      -- rest is "schema.table.name": try each split point from the left
      local i = 0
      while true do
        i = rest:find(".", i + 1, true)
        if not i then break end
        local tkey = rest:sub(1, i - 1)
        for _, m in ipairs(ms) do
          if m.tables[tkey] then o = "tables\0" .. tkey break end
          if kind == "trigger" and m.views[tkey] then o = "views\0" .. tkey break end
        end
        if o then break end
      end
    elseif kind == "index" then
      o = index_owner(key)
      if not o then o = "indexes\0" .. rest end
    elseif kind and KIND_OF[kind] then
      o = KIND_OF[kind] .. "\0" .. rest
    end
    cache[key] = o or false
    return o
  end
end

-- A stub of table t: without foreign keys, triggers and policies.
local function stub_table(t, fks)
  local s = {}
  for k, v in pairs(t) do s[k] = v end
  s.constraints, s.triggers, s.policies = {}, {}, {}
  for name, c in pairs(t.constraints) do
    if c.type ~= "f" or (fks and fks[name]) then s.constraints[name] = c end
  end
  return s
end

-- A cut stub of table t, for a table the part needs only for some of its columns (those
-- foreign keys point at, an index covers or a view reads): the columns cols and the
-- constraints keep (the keys those foreign keys use), without defaults, identity, checks,
-- comments, grants or options. This is what makes a big part cheap: a table that many
-- changed tables point at costs one column and one index instead of its sequences, TOAST
-- table and every constraint.
local function cut_stub(t, cols, keep, fks)
  local s = {}
  for k, v in pairs(t) do s[k] = v end
  s.columns, s.constraints, s.triggers, s.policies, s.comment = {}, {}, {}, {}, nil
  for name in pairs(cols) do
    local c = t.columns[name]
    s.columns[name] = { name = c.name, type = c.type, notnull = c.notnull, collation = c.collation,
                        _order = c._order, _type_storage = c._type_storage }
  end
  for name in pairs(keep) do s.constraints[name] = t.constraints[name] end
  for name in pairs(fks or {}) do s.constraints[name] = t.constraints[name] end
  return s
end

-- Can t be cut to cols and keep? Only a table that stands on its own (no parent, partitions
-- or row type of another) and has those columns, whose kept keys are plain: primary key or
-- unique constraints (INCLUDE or WHERE would need more columns than the foreign key's).
local function cuttable(t, cols, keep)
  if not t or not next(cols) or t.partitioned or t.partition_of or t.of_type or #(t.parents or {}) > 0 then
    return false
  end
  for name in pairs(cols) do
    if not t.columns[name] then return false end
  end
  for name in pairs(keep) do
    local c = t.constraints[name]
    if not c or (c.type ~= "p" and c.type ~= "u") or c.def:find("INCLUDE", 1, true) or c.def:find("WHERE", 1, true) then
      return false
    end
  end
  return true
end

-- The columns of table t that SQL text may name: every identifier in it (quoted or not,
-- outside string literals) that is one of them, added to the set into. An over-estimate (a
-- function or operator class of the same name adds a column), which is what a cut needs.
-- (the words of each text, for one subset.of: a cut reads the same definitions often)
local words_cache = {}
local function words_of(text)
  local w = words_cache[text]
  if w then return w end
  w = {}
  -- string literals out ('it''s' is two of them), then quoted identifiers, then the rest
  local rest = text:gsub("'[^']*'", " ")
  rest = rest:gsub('"([^"]*)"', function(q) w[#w + 1] = q return " " end)
  for word in rest:gmatch("[%a_][%w_$]*") do w[#w + 1] = word end
  words_cache[text] = w
  return w
end
local function named_columns(text, t, into)
  local columns = t.columns
  for _, word in ipairs(words_of(text)) do
    if columns[word] then into[word] = true end
  end
  return into
end

-- The columns of table t an index definition may use (what follows USING), into the set
-- into; false when the text is not understood or t is unknown.
local function index_columns(def, t, into)
  local body = def:match(" USING (.*)$")
  if not body or not t then return false end
  named_columns(body, t, into)
  return true
end

-- Does text name any column in the set cols (of table t)?
local function names_any(text, t, cols)
  for name in pairs(named_columns(text, t, {})) do
    if cols[name] then return true end
  end
  return false
end

local function policy_text(p) return (p.using or "") .. " " .. (p.with_check or "") end

-- What of table tkey, changed between a (current) and b (desired), the plan is about: its
-- core = { cols, constraints, triggers, policies } (sets of names), or nil to keep it whole
-- (a table that is or has a partition, parent or row type of another, is only on one side,
-- or becomes logged or unlogged). The core holds the columns, constraints, triggers and policies that differ or that
-- the plan recreates, the columns the plan changes though both sides spell them the same
-- (plan._changed_columns), and, to a fixed point, whatever names a kept column (a check on
-- a column whose type changes must come along: the change rebuilds it) and the columns
-- kept objects name. What is left out is the same on both sides and untouched by the plan.
local function full_core(tkey, a, b, plan)
  -- (nor a table whose persistence changes: a logged table may not point at an unlogged
  -- one, and the keys that say so are among what a cut leaves out)
  if not (a and b) or (a.unlogged or false) ~= (b.unlogged or false) then return nil end
  for _, t in ipairs { a, b } do
    if t.partitioned or t.partition_of or t.of_type or #(t.parents or {}) > 0 then return nil end
  end
  local rc = plan._recreate or {}
  local cols, sets = {}, { constraints = {}, triggers = {}, policies = {} }
  local KIND = { constraints = "constraint:", triggers = "trigger:", policies = "policy:" }
  local moved = {}   -- dropped, retyped or changed in place: what dependents must survive
  for name in pairs((plan._changed_columns or {})[tkey] or {}) do cols[name] = true; moved[name] = true end
  for name, c in pairs(a.columns) do
    local w = b.columns[name]
    if not w or w.type ~= c.type or w.collation ~= c.collation or w.generated ~= c.generated then moved[name] = true end
  end
  for _, pair in ipairs { { a, b }, { b, a } } do
    local x, y = pair[1], pair[2]
    for name, c in pairs(x.columns) do
      if not same(c, y.columns[name]) or rc["default:" .. tkey .. "." .. name] or rc["generated:" .. tkey .. "." .. name] then
        cols[name] = true
      end
    end
    for field, set in pairs(sets) do
      for name, o in pairs(x[field] or {}) do
        if not same(o, (y[field] or {})[name]) or rc[KIND[field] .. tkey .. "." .. name] then set[name] = true end
      end
    end
  end
  local function text_of(field, o)
    if field == "policies" then return policy_text(o) end
    -- a foreign key names its own columns before REFERENCES (after it, the other table's,
    -- which are its own too when it points at its own table)
    if field == "constraints" and o.type == "f" and o.ref_table ~= tkey then
      return (o.def or ""):match("^(.-) REFERENCES ") or o.def or ""
    end
    return o.def or ""
  end
  local grew = true
  while grew do
    grew = false
    for _, t in ipairs { a, b } do
      for name, c in pairs(t.columns) do
        -- a generated column over a kept column, and the columns a kept one is made of
        if not cols[name] and c.generated and names_any(c.generated, t, cols) then cols[name], grew = true, true end
        if cols[name] and c.generated then
          for col in pairs(named_columns(c.generated, t, {})) do
            if not cols[col] then cols[col], grew = true, true end
          end
        end
      end
      for field, set in pairs(sets) do
        for name, o in pairs(t[field] or {}) do
          local text = text_of(field, o)
          if not set[name] and names_any(text, t, cols) then set[name], grew = true, true end
          if set[name] then
            for col in pairs(named_columns(text, t, {})) do
              if not cols[col] then cols[col], grew = true, true end
            end
          end
        end
      end
    end
  end
  return { cols = cols, constraints = sets.constraints, triggers = sets.triggers, policies = sets.policies,
           moved = moved }
end

-- Table t cut to its core (full_core), with the columns extra and key constraints keep other
-- objects of the part need (as a cut stub has them: without their defaults).
local function cut_full(t, core, extra, keep)
  local s = {}
  for k, v in pairs(t) do s[k] = v end
  s.columns, s.constraints, s.triggers, s.policies = {}, {}, {}, {}
  for name in pairs(core.cols) do s.columns[name] = t.columns[name] end
  for name in pairs(extra or {}) do
    local c = t.columns[name]
    if c and not s.columns[name] then
      s.columns[name] = { name = c.name, type = c.type, notnull = c.notnull, collation = c.collation,
                          _order = c._order, _type_storage = c._type_storage }
    end
  end
  for _, field in ipairs { "constraints", "triggers", "policies" } do
    for name in pairs(core[field]) do s[field][name] = (t[field] or {})[name] end
  end
  for name in pairs(keep or {}) do s.constraints[name] = s.constraints[name] or t.constraints[name] end
  return s
end

local PREFIX = { tables = "table:", views = "view:", types = "type:", functions = "function:",
                 sequences = "sequence:", indexes = "index:", event_triggers = "event_trigger:" }

-- The dependency keys of object id ("kind\0key") in the models ms: its own key, and for a
-- table the keys of its constraints (and their indexes), triggers, policies, defaults and
-- generated columns; for a view its triggers. which = "whole" leaves out a stub's foreign
-- keys, triggers and policies (a stub has none); which = "cut" gives the table's own key only.
local function keys_of(ms, id, which, core)
  local kind, key = split_id(id)
  local prefix = PREFIX[kind]
  if not prefix then return {} end
  local out = { prefix .. key }
  if which == "cut" or (kind ~= "tables" and kind ~= "views") then return out end
  local seen = {}
  local function add(k)
    if not seen[k] then seen[k] = true; out[#out + 1] = k end
  end
  -- (a full table cut to its core: only what the core holds)
  local function kept(field, name) return not core or core[field][name] end
  for _, m in ipairs(ms) do
    local t = m[kind][key]
    if t then
      if which ~= "whole" or kind == "views" then
        for name in pairs(t.triggers or {}) do
          if kind == "views" or kept("triggers", name) then add("trigger:" .. key .. "." .. name) end
        end
      end
      if kind == "tables" then
        for name, c in pairs(t.constraints) do
          if (which ~= "whole" or c.type ~= "f") and kept("constraints", name) then
            add("constraint:" .. key .. "." .. name)
            if c.type == "p" or c.type == "u" or c.type == "x" then add("index:" .. t.schema .. "." .. name) end
          end
        end
        if which ~= "whole" then
          for name in pairs(t.policies or {}) do
            if kept("policies", name) then add("policy:" .. key .. "." .. name) end
          end
        end
        for name in pairs(t.columns) do
          if kept("cols", name) then
            add("default:" .. key .. "." .. name)
            add("generated:" .. key .. "." .. name)
          end
        end
      end
    end
  end
  return out
end

--- subset.of(plan, from, to [, opts]) -> from_part, to_part | nil (nothing differs, or
-- nothing to gain: the part is most of the schema; opts.always cuts it all the same)
function M.of(plan, from, to, opts)
  words_cache = {}
  local full = {}
  local nfull, total = 0, 0
  for _, kind in ipairs(model.KINDS) do
    local a, b = from[kind] or {}, to[kind] or {}
    -- the planner already compared the tables (plan._untouched: true = the same, untouched)
    local known = kind == "tables" and plan._untouched or {}
    for key, o in pairs(a) do
      total = total + 1
      local k = known[key]
      if k == false or (k == nil and not same(o, b[key])) then full[kind .. "\0" .. key] = true; nfull = nfull + 1 end
    end
    for key in pairs(b) do
      if a[key] == nil then full[kind .. "\0" .. key] = true; nfull = nfull + 1 end
    end
  end
  local ms = { from, to }
  local owner_of = owner_resolver(ms)
  for key in pairs(plan._recreate or {}) do
    local o = owner_of(key)
    if o and not full[o] then full[o] = true; nfull = nfull + 1 end
  end
  if nfull == 0 then return nil end
  -- the changed tables on both sides, cut to what the plan is about (core[table id])
  local core, parents = {}, {}
  for _, m in ipairs(ms) do
    for _, t in pairs(m.tables) do
      for _, par in ipairs(t.parents or {}) do parents[par] = true end
      if t.partition_of then parents[t.partition_of] = true end
    end
  end
  for id in pairs(full) do
    if id:sub(1, 7) == "tables\0" then
      local key = id:sub(8)
      if not parents[key] then core[id] = full_core(key, from.tables[key], to.tables[key], plan) end
    end
  end
  -- each model's dependencies by their from key (shared with the planner's lookups); a
  -- dependency is named by a code: model index + 2 * position in that model's deps
  local index = { model.deps_from(from.deps or {}), model.deps_from(to.deps or {}) }
  local function dep_at(code)
    local mi = code % 2 == 1 and 1 or 2
    return ms[mi].deps[(code - mi) // 2], mi
  end
  local memo = { full = {}, whole = {}, cut = {} }
  local function codes_of(id, which)
    local out = memo[which][id]
    if out then return out end
    out = {}
    for _, k in ipairs(keys_of(ms, id, which, which == "full" and core[id] or nil)) do
      for mi = 1, 2 do
        local l = index[mi][k]
        if l then
          for _, n in ipairs(l) do out[#out + 1] = mi + 2 * n end
        end
      end
    end
    memo[which][id] = out
    return out
  end
  -- is dependency key a foreign key constraint (in either model)?
  local fk_of
  local fk_memo = {}
  local function is_fk(key)
    local r = fk_memo[key]
    if r == nil then r = key:sub(1, 11) == "constraint:" and fk_of(key) or false; fk_memo[key] = r end
    return r
  end
  function fk_of(key)
    local id = owner_of(key)
    local tk = id and id:match("^tables\0(.*)$")
    if not tk then return false end
    local cname = key:sub(#"constraint:" + #tk + 2)
    for _, m in ipairs(ms) do
      local c = m.tables[tk] and m.tables[tk].constraints[cname]
      if c and c.type == "f" then return true end
    end
    return false
  end
  -- what the full objects need, and what the stubs need in turn. A table the part needs
  -- only for some of its columns (foreign keys, indexes and views of the part name them) is
  -- cut to those columns; reached any other way, it is a whole stub.
  -- stub[id] = "cut" | "whole"; a stub becoming whole is visited again.
  local stub, cols, keep, fk = {}, {}, {}, {}
  local queue = {}
  for id in pairs(full) do queue[#queue + 1] = id end
  local function reach(to_id, whole)
    local was = stub[to_id]
    if full[to_id] or was == "whole" then return end
    if whole or to_id:sub(1, 7) ~= "tables\0" then
      stub[to_id] = "whole"
    elseif not was then
      stub[to_id] = "cut"
    else
      return
    end
    queue[#queue + 1] = to_id
  end
  local function cols_of(id)
    local c = cols[id]
    if not c then c = {}; cols[id] = c end
    return c
  end
  -- the user type a column type names ("s.t", "s.\"t\"[]", ...) -> its id, or nil
  local function column_type(ty)
    local k = ty:gsub("%[%]", ""):gsub('"', "")
    for _, m in ipairs(ms) do
      if m.types[k] then return "types\0" .. k end
    end
    return nil
  end
  -- tables and views by their bare names (for the bodies of SQL functions)
  local by_name
  local function relations_named(text)
    if not by_name then
      by_name = {}
      for _, m in ipairs(ms) do
        for _, kind in ipairs { "tables", "views" } do
          for key, o in pairs(m[kind]) do
            local l = by_name[o.name] or {}
            by_name[o.name] = l
            l[#l + 1] = kind .. "\0" .. key
          end
        end
      end
    end
    local out = {}
    for word in text:gmatch("[%a_][%w_$]*") do
      for _, rid in ipairs(by_name[word] or {}) do out[#out + 1] = rid end
    end
    return out
  end
  -- the indexes of each table or view (both models): owner key -> { index key, ... }
  local indexes_of
  local function indexes_on(key)
    if not indexes_of then
      indexes_of = {}
      for _, m in ipairs(ms) do
        for ikey, ix in pairs(m.indexes) do
          if ix.table then
            local l = indexes_of[ix.table] or {}
            indexes_of[ix.table] = l
            l[#l + 1] = ikey
          end
        end
      end
    end
    return indexes_of[key] or {}
  end
  -- the dependencies on key in both models, as codes
  local function deps_on(key)
    local out = {}
    for mi, m in ipairs(ms) do
      for _, n in ipairs(model.deps_to(m.deps or {})[key] or {}) do out[#out + 1] = mi + 2 * n end
    end
    return out
  end
  -- fks[table id] = { constraint name = true }: the foreign keys of unchanged tables that
  -- point at what the plan changes (a stub keeps them: the change must leave them valid)
  local fks = {}
  local follow_fk
  -- a foreign key's dependency d on table to_id: the referenced column, and the key (its
  -- index) the foreign key uses, are needed there
  local function fk_target(to_id, d)
    if d.col and d.to:sub(1, 6) == "table:" then cols_of(to_id)[d.col] = true end
    fk[to_id] = true
    local idx = d.to:match("^index:(.*)$")
    if idx then
      local ks = keep[to_id] or {}
      keep[to_id] = ks
      ks[idx:sub(#idx:match("^[^.]*") + 2)] = true
    end
    reach(to_id, false)
  end
  local i = 1
  local function drain()
    while queue[i] do
      local id = queue[i]
      i = i + 1
      local which = full[id] and "full" or stub[id]
      for _, code in ipairs(codes_of(id, which)) do
        local d = dep_at(code)
        local to_id = owner_of(d.to)
        if to_id and to_id ~= id then
          local to_table = to_id:sub(1, 7) == "tables\0"
          if to_table and d.col and d.to:sub(1, 6) == "table:" then cols_of(to_id)[d.col] = true end
          if to_table and is_fk(d.from) then
            fk_target(to_id, d)
          elseif to_table and d.col and d.to:sub(1, 6) == "table:"
              and (d.from:sub(1, 5) == "view:" or d.from:sub(1, 6) == "index:" or d.from:sub(1, 9) == "sequence:") then
            -- a view, an index or a sequence it owns needs the columns it names
            reach(to_id, false)
          else
            reach(to_id, true)
          end
        end
      end
      local kind, key = split_id(id)
      if kind == "indexes" then
        -- an index needs its table, with the columns its definition names
        for _, m in ipairs(ms) do
          local ix = m.indexes[key]
          if ix and ix.table and m.views[ix.table] then
            reach("views\0" .. ix.table, true)   -- an index of a materialized view
          elseif ix and ix.table then
            local tid = "tables\0" .. ix.table
            reach(tid, not index_columns(ix.def, m.tables[ix.table], cols_of(tid)))
          end
        end
      elseif kind == "tables" then
        -- a partition needs its parent, a child its parents (whole: they give it columns)
        for _, m in ipairs(ms) do
          local t = m.tables[key]
          if t then
            if t.partition_of then reach("tables\0" .. t.partition_of, true) end
            for _, par in ipairs(t.parents or {}) do reach("tables\0" .. par, true) end
          end
        end
      end
      if full[id] and (kind == "tables" or kind == "views") then
        -- the indexes a changed table or view has again once the plan recreated it, or
        -- that a change of its columns rebuilds
        for _, ikey in ipairs(indexes_on(key)) do
          local iid = "indexes\0" .. ikey
          if not full[iid] and stub[iid] ~= "whole" then
            local needed = not core[id]
            for _, m in ipairs(ms) do
              local ix, t = m.indexes[ikey], m.tables[key]
              if not needed and ix and t then needed = names_any(ix.def:match(" USING (.*)$") or ix.def, t, core[id].cols) end
            end
            if needed then reach(iid, true) end
          end
        end
      end
      if kind == "tables" and full[id] then
        -- what depends on the table, or on a column the plan drops or retypes (the changes
        -- PostgreSQL checks against dependents): views, and foreign keys of other tables
        local moved = core[id] and core[id].moved
        for _, code in ipairs(deps_on("table:" .. key)) do
          local d = dep_at(code)
          local owner = owner_of(d.from)
          if owner and owner ~= id and (not moved or (d.col and moved[d.col])) then
            if d.from:sub(1, 5) == "view:" then
              reach(owner, true)
            elseif owner:sub(1, 7) == "tables\0" and not full[owner] and is_fk(d.from) then
              local name = d.from:sub(#"constraint:" + #owner - 7 + 2)
              local set = fks[owner] or {}
              fks[owner] = set
              if not set[name] then
                set[name] = true
                follow_fk(owner, d.from)
              end
            end
          end
        end
      end
      if kind == "functions" and full[id] then
        -- the body of a new or changed SQL function is checked against what it reads
        for _, m in ipairs(ms) do
          local f = m.functions[key]
          if f and f.language == "sql" then
            for _, rid in ipairs(relations_named(f.def or "")) do reach(rid, true) end
          end
        end
      end
    end
  end
  -- a foreign key kept on a stub: its own columns, and what it points at (as the foreign
  -- keys of the part's own objects do)
  function follow_fk(owner, ckey)
    local tkey = owner:sub(8)
    local name = ckey:sub(#"constraint:" + #tkey + 2)
    for _, m in ipairs(ms) do
      local t = m.tables[tkey]
      local c = t and t.constraints[name]
      if c then named_columns(c.def:match("^(.-) REFERENCES ") or c.def, t, cols_of(owner)) end
    end
    for mi = 1, 2 do
      for _, n in ipairs(index[mi][ckey] or {}) do
        local d = ms[mi].deps[n]
        local to_id = owner_of(d.to)
        if to_id and to_id ~= owner then
          if to_id:sub(1, 7) == "tables\0" then
            fk_target(to_id, d)
          else
            reach(to_id, true)
          end
        end
      end
    end
    reach(owner, false)
  end
  -- the types of the columns the part's tables keep (an array of an enum has no
  -- dependency on the enum itself)
  local function kept_columns(id, m)
    local t = m.tables[id:sub(8)]
    if not t then return {} end
    if core[id] then
      local out = {}
      for name in pairs(core[id].cols) do out[#out + 1] = t.columns[name] end
      for name in pairs(cols[id] or {}) do out[#out + 1] = t.columns[name] end
      return out
    elseif stub[id] == "cut" then
      local out = {}
      for name in pairs(cols[id] or {}) do out[#out + 1] = t.columns[name] end
      return out
    end
    return model.sorted(t.columns)
  end
  -- to a fixed point: what the queue reaches; then the stubs that cannot be cut (in either
  -- model) become whole and are visited again as such (a table a foreign key points at
  -- keeps the key the foreign key uses); then the types the kept columns name
  local before
  repeat
    drain()
    before = #queue
    for id, how in pairs(stub) do
      if how == "cut" then
        local key = id:sub(8)
        for _, m in ipairs(ms) do
          if stub[id] == "cut" and ((fk[id] and not next(keep[id] or {}))
              or not cuttable(m.tables[key], cols[id] or {}, keep[id] or {})) then
            stub[id] = "whole"
            queue[#queue + 1] = id
          end
        end
      end
    end
    local found = {}
    for _, set in ipairs { full, stub } do
      for id in pairs(set) do
        if id:sub(1, 7) == "tables\0" then
          for _, m in ipairs(ms) do
            for _, c in ipairs(kept_columns(id, m)) do
              local tid = c and column_type(c.type)
              if tid and not full[tid] and stub[tid] ~= "whole" then found[#found + 1] = tid end
            end
          end
        end
      end
    end
    for _, tid in ipairs(found) do reach(tid, true) end
  until #queue == before
  local nstub = 0
  for _ in pairs(stub) do nstub = nstub + 1 end
  if (nfull + nstub) * 2 > total and not (opts and opts.always) then return nil end
  local function part(m, mi)
    local p = model.new()
    p.server_version = m.server_version
    for _, kind in ipairs { "schemas", "extensions", "collations" } do
      for k, o in pairs(m[kind] or {}) do p[kind][k] = o end
    end
    local ids = {}   -- the part's objects: id -> key
    for id in pairs(full) do
      local kind, k = split_id(id)
      local o = m[kind] and m[kind][k]
      if o then
        p[kind][k] = core[id] and cut_full(o, core[id], cols[id], keep[id]) or o
        ids[id] = k
      end
    end
    for id, how in pairs(stub) do
      local kind, k = split_id(id)
      local o = m[kind] and m[kind][k]
      if o then
        if kind == "tables" then
          p[kind][k] = how == "cut" and cut_stub(o, cols[id], keep[id] or {}, fks[id]) or stub_table(o, fks[id])
        else
          p[kind][k] = o
        end
        ids[id] = k
      end
    end
    -- a table of the part keeps its parent (inherited columns come from it), whole
    local changed = true
    local whole = {}
    while changed do
      changed = false
      for _, t in pairs(p.tables) do
        for _, parent in ipairs(t.parents or {}) do
          local pid = "tables\0" .. parent
          if (not p.tables[parent] or ((stub[pid] == "cut" or core[pid]) and not whole[parent])) and m.tables[parent] then
            whole[parent] = true
            p.tables[parent] = full[pid] and m.tables[parent] or stub_table(m.tables[parent])
            ids[pid] = parent
            changed = true
          end
        end
        local po = t.partition_of
        if po and not p.tables[po] and m.tables[po] then
          p.tables[po] = stub_table(m.tables[po]); ids["tables\0" .. po] = po; changed = true
        end
      end
    end
    -- the dependencies among the part's objects, in the model's order; those of what a stub
    -- left out (its foreign keys, triggers, policies, a cut stub's columns and defaults) are dropped
    local picked = {}
    for id, akey in pairs(ids) do
      local oa = p[id:match("^[^\0]*")][akey]
      for _, code in ipairs(codes_of(id, "full")) do
        if code % 2 == (mi == 1 and 1 or 0) then
          local d = dep_at(code)
          local bk, bkey = split_id(owner_of(d.to))
          if p[bk] and p[bk][bkey] then
            local sub = d.from:match("^(%a+):")
            local field = ({ constraint = "constraints", trigger = "triggers", policy = "policies",
                             default = "columns", generated = "columns" })[sub]
            local name = field and oa[field] and d.from:sub(#sub + #akey + 3)
            local keepit = not (name and not oa[field][name])
            if keepit and field == "columns" then
              local c = oa.columns[name]
              keepit = (sub == "default" and c.default ~= nil) or (sub == "generated" and c.generated ~= nil)
            end
            if keepit then picked[#picked + 1] = code end
          end
        end
      end
    end
    table.sort(picked)
    for n, code in ipairs(picked) do p.deps[n] = (dep_at(code)) end
    return p
  end
  return part(from, 1), part(to, 2)
end

return M
