--- dbhost.schema.subset: the part of two schema models a plan is about, for verifying the
-- plan at the cost of the change rather than of the whole schema.
--
--   local subset = require "dbhost.schema.subset"
--   local from_sub, to_sub = subset.of(plan, from, to)   -- nil when it cannot be cut
--
-- The part holds every object that differs between the models, every object the plan drops
-- and recreates around a change (plan._recreate, from the planner), and, as "stubs", what
-- those need to exist: the tables their foreign keys, views and indexes point at, the types,
-- sequences and functions they use, parents of partitions and children. A stub keeps its
-- columns and its own checks and keys, but not its foreign keys, triggers or policies (they
-- would pull in more of the schema), and is the same on both sides, so it plans nothing.
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
  local function index_owner(key)
    if not conindex then
      conindex = {}
      for _, m in ipairs(ms) do
        for tkey, t in pairs(m.tables) do
          for name, c in pairs(t.constraints) do
            if c.type == "p" or c.type == "u" or c.type == "x" then conindex["index:" .. t.schema .. "." .. name] = "tables\0" .. tkey end
          end
        end
      end
    end
    return conindex[key]
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

--- subset.of(plan, from, to) -> from_part, to_part | nil (nothing to gain: the part is most
-- of the schema)
function M.of(plan, from, to)
  local full, stub = {}, {}
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
  local owner_of = owner_resolver { from, to }
  for key in pairs(plan._recreate or {}) do
    local o = owner_of(key)
    if o and not full[o] then full[o] = true; nfull = nfull + 1 end
  end
  -- what the full objects need, and (for stubs) what the stubs need in turn. by_owner[id]
  -- lists the dependencies of object id in both models, each as model index + 2 * position
  -- in that model's deps (no table per dependency: a big schema has tens of thousands)
  local ms = { from, to }
  local by_owner = {}
  for mi, m in ipairs(ms) do
    for n, d in ipairs(m.deps or {}) do
      local a = owner_of(d.from)
      if a then
        local l = by_owner[a]
        if not l then l = {}; by_owner[a] = l end
        l[#l + 1] = mi + 2 * n
      end
    end
  end
  local function dep_at(code)
    local mi = code % 2 == 1 and 1 or 2
    return ms[mi].deps[(code - mi) // 2], mi
  end
  -- is dependency key a foreign key constraint (in either model)?
  local function is_fk(key)
    if not key:match("^constraint:") then return false end
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
  local queue = {}
  for id in pairs(full) do queue[#queue + 1] = id end
  local i = 1
  while queue[i] do
    local id = queue[i]
    i = i + 1
    for _, code in ipairs(by_owner[id] or {}) do
      local d = dep_at(code)
      local to_id = owner_of(d.to)
      -- a stub's own foreign keys are left out, so what they point at is not needed
      if to_id and to_id ~= id and not full[to_id] and not stub[to_id] and not (stub[id] and is_fk(d.from)) then
        stub[to_id] = true
        queue[#queue + 1] = to_id
      end
    end
  end
  local nstub = 0
  for _ in pairs(stub) do nstub = nstub + 1 end
  if (nfull + nstub) * 2 > total then return nil end

  local function part(m, mi)
    local p = model.new()
    p.server_version = m.server_version
    for _, kind in ipairs { "schemas", "extensions", "collations" } do
      for k, o in pairs(m[kind] or {}) do p[kind][k] = o end
    end
    local ids = {}   -- the part's objects: id -> kind, key
    for _, set in ipairs { full, stub } do
      for id in pairs(set) do
        local kind, k = split_id(id)
        local o = m[kind] and m[kind][k]
        if o then
          p[kind][k] = (set == stub and kind == "tables") and stub_table(o) or o
          ids[id] = k
        end
      end
    end
    -- a table of the part keeps its parent (inherited columns come from it)
    local changed = true
    while changed do
      changed = false
      for _, t in pairs(p.tables) do
        for _, parent in ipairs(t.parents or {}) do
          if not p.tables[parent] and m.tables[parent] then
            p.tables[parent] = stub_table(m.tables[parent]); ids["tables\0" .. parent] = parent; changed = true
          end
        end
        local po = t.partition_of
        if po and not p.tables[po] and m.tables[po] then
          p.tables[po] = stub_table(m.tables[po]); ids["tables\0" .. po] = po; changed = true
        end
      end
    end
    -- the dependencies among the part's objects, in the model's order
    local picked = {}
    for id, akey in pairs(ids) do
      local oa = p[id:match("^[^\0]*")][akey]
      local l = by_owner[id]
      if l then
        for _, code in ipairs(l) do
          if code % 2 == (mi == 1 and 1 or 0) then
            local d = dep_at(code)
            local bk, bkey = split_id(owner_of(d.to))
            if p[bk] and p[bk][bkey] then
              -- a dependency of something a stub left out (its foreign key, trigger, policy) is dropped
              local sub, name = d.from:match("^(%a+):"), nil
              local field = ({ constraint = "constraints", trigger = "triggers", policy = "policies" })[sub]
              if field and oa[field] then name = d.from:sub(#sub + #akey + 3) end
              if not (name and not oa[field][name]) then picked[#picked + 1] = code end
            end
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
