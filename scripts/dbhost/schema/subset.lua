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
local function stub_table(t)
  local s = {}
  for k, v in pairs(t) do s[k] = v end
  s.constraints, s.triggers, s.policies = {}, {}, {}
  for name, c in pairs(t.constraints) do
    if c.type ~= "f" then s.constraints[name] = c end
  end
  return s
end

-- A cut stub of table t, for a table the part needs only for some of its columns (those
-- foreign keys point at, an index covers or a view reads): the columns cols and the
-- constraints keep (the keys those foreign keys use), without defaults, identity, checks,
-- comments, grants or options. This is what makes a big part cheap: a table that many
-- changed tables point at costs one column and one index instead of its sequences, TOAST
-- table and every constraint.
local function cut_stub(t, cols, keep)
  local s = {}
  for k, v in pairs(t) do s[k] = v end
  s.columns, s.constraints, s.triggers, s.policies, s.comment = {}, {}, {}, {}, nil
  for name in pairs(cols) do
    local c = t.columns[name]
    s.columns[name] = { name = c.name, type = c.type, notnull = c.notnull, collation = c.collation,
                        _order = c._order, _type_storage = c._type_storage }
  end
  for name in pairs(keep) do s.constraints[name] = t.constraints[name] end
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

-- The columns of table t an index definition may use: every identifier after USING that
-- names one of them (a function or operator class of the same name only adds a column).
local function index_columns(def, t, into)
  local body = def:match(" USING (.*)$")
  if not body or not t then return false end
  local i = 1
  while i <= #body do
    local c = body:sub(i, i)
    if c == '"' then
      local j, name = i + 1, {}
      while j <= #body do
        local ch = body:sub(j, j)
        if ch == '"' then
          if body:sub(j + 1, j + 1) == '"' then name[#name + 1] = '"'; j = j + 2 else break end
        else
          name[#name + 1] = ch; j = j + 1
        end
      end
      local n = table.concat(name)
      if t.columns[n] then into[n] = true end
      i = j + 1
    elseif c:match("[%a_]") then
      local word = body:match("^[%w_$]+", i)
      if t.columns[word] then into[word] = true end
      i = i + #word
    elseif c == "'" then
      local j = i + 1
      while j <= #body do
        if body:sub(j, j) == "'" then
          if body:sub(j + 1, j + 1) == "'" then j = j + 2 else break end
        else
          j = j + 1
        end
      end
      i = j + 1
    else
      i = i + 1
    end
  end
  return true
end

local PREFIX = { tables = "table:", views = "view:", types = "type:", functions = "function:",
                 sequences = "sequence:", indexes = "index:", event_triggers = "event_trigger:" }

-- The dependency keys of object id ("kind\0key") in the models ms: its own key, and for a
-- table the keys of its constraints (and their indexes), triggers, policies, defaults and
-- generated columns; for a view its triggers. which = "whole" leaves out a stub's foreign
-- keys, triggers and policies (a stub has none); which = "cut" gives the table's own key only.
local function keys_of(ms, id, which)
  local kind, key = split_id(id)
  local prefix = PREFIX[kind]
  if not prefix then return {} end
  local out = { prefix .. key }
  if which == "cut" or (kind ~= "tables" and kind ~= "views") then return out end
  local seen = {}
  local function add(k)
    if not seen[k] then seen[k] = true; out[#out + 1] = k end
  end
  for _, m in ipairs(ms) do
    local t = m[kind][key]
    if t then
      if which ~= "whole" or kind == "views" then
        for name in pairs(t.triggers or {}) do add("trigger:" .. key .. "." .. name) end
      end
      if kind == "tables" then
        for name, c in pairs(t.constraints) do
          if which ~= "whole" or c.type ~= "f" then
            add("constraint:" .. key .. "." .. name)
            if c.type == "p" or c.type == "u" or c.type == "x" then add("index:" .. t.schema .. "." .. name) end
          end
        end
        if which ~= "whole" then
          for name in pairs(t.policies or {}) do add("policy:" .. key .. "." .. name) end
        end
        for name in pairs(t.columns) do
          add("default:" .. key .. "." .. name)
          add("generated:" .. key .. "." .. name)
        end
      end
    end
  end
  return out
end

--- subset.of(plan, from, to) -> from_part, to_part | nil (nothing differs, or nothing to
-- gain: the part is most of the schema)
function M.of(plan, from, to)
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
    for _, k in ipairs(keys_of(ms, id, which)) do
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
  local i = 1
  while queue[i] do
    local id = queue[i]
    i = i + 1
    local which = full[id] and "full" or stub[id]
    for _, code in ipairs(codes_of(id, which)) do
      local d = dep_at(code)
      local to_id = owner_of(d.to)
      if to_id and to_id ~= id then
        if to_id:sub(1, 7) == "tables\0" and is_fk(d.from) then
          -- a foreign key needs the referenced columns and the key (index) it uses
          fk[to_id] = true
          if d.col then cols_of(to_id)[d.col] = true end
          local idx = d.to:match("^index:(.*)$")
          if idx then
            local ks = keep[to_id] or {}
            keep[to_id] = ks
            ks[idx:sub(#idx:match("^[^.]*") + 2)] = true
          end
          reach(to_id, false)
        elseif to_id:sub(1, 7) == "tables\0" and d.col and d.to:sub(1, 6) == "table:"
            and (d.from:sub(1, 5) == "view:" or d.from:sub(1, 6) == "index:") then
          -- a view or an index needs the columns it reads
          cols_of(to_id)[d.col] = true
          reach(to_id, false)
        else
          reach(to_id, true)
        end
      end
    end
    -- an index needs its table, with the columns its definition names
    if id:sub(1, 8) == "indexes\0" then
      for _, m in ipairs(ms) do
        local ix = m.indexes[id:sub(9)]
        if ix and ix.table and m.views[ix.table] then
          reach("views\0" .. ix.table, true)   -- an index of a materialized view
        elseif ix and ix.table then
          local tid = "tables\0" .. ix.table
          reach(tid, not index_columns(ix.def, m.tables[ix.table], cols_of(tid)))
        end
      end
    end
  end
  -- stubs that cannot be cut (in either model) are whole; a table a foreign key points at
  -- keeps the key the foreign key uses
  for id, how in pairs(stub) do
    if how == "cut" then
      local key = id:sub(8)
      for _, m in ipairs(ms) do
        if (fk[id] and not next(keep[id] or {})) or not cuttable(m.tables[key], cols[id] or {}, keep[id] or {}) then
          stub[id] = "whole"
        end
      end
    end
  end
  local nstub = 0
  for _ in pairs(stub) do nstub = nstub + 1 end
  if (nfull + nstub) * 2 > total then return nil end
  -- a cut stub made whole after its visit needs what a whole stub needs: visit again
  local again = {}
  for id, how in pairs(stub) do
    if how == "whole" and id:sub(1, 7) == "tables\0" and cols[id] then again[#again + 1] = id end
  end
  if #again > 0 then
    for _, id in ipairs(again) do queue[#queue + 1] = id end
    while queue[i] do
      local id = queue[i]
      i = i + 1
      for _, code in ipairs(codes_of(id, full[id] and "full" or "whole")) do
        local to_id = owner_of(dep_at(code).to)
        if to_id and to_id ~= id and not full[to_id] and stub[to_id] ~= "whole" then
          stub[to_id] = "whole"
          queue[#queue + 1] = to_id
        end
      end
    end
  end

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
      if o then p[kind][k] = o; ids[id] = k end
    end
    for id, how in pairs(stub) do
      local kind, k = split_id(id)
      local o = m[kind] and m[kind][k]
      if o then
        if kind == "tables" then
          p[kind][k] = how == "cut" and cut_stub(o, cols[id], keep[id] or {}) or stub_table(o)
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
          if (not p.tables[parent] or (stub["tables\0" .. parent] == "cut" and not whole[parent])) and m.tables[parent] then
            whole[parent] = true
            p.tables[parent] = stub_table(m.tables[parent]); ids["tables\0" .. parent] = parent; changed = true
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
