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
local function same(a, b)
  if a == b then return true end
  if type(a) ~= "table" or type(b) ~= "table" then return false end
  for k, v in pairs(a) do
    if not (type(k) == "string" and k:sub(1, 1) == "_") and not same(v, b[k]) then return false end
  end
  for k in pairs(b) do
    if not (type(k) == "string" and k:sub(1, 1) == "_") and a[k] == nil then return false end
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
  -- what the full objects need, and (for stubs) what the stubs need in turn
  local deps_of = {}
  for _, m in ipairs { from, to } do
    for _, d in ipairs(m.deps or {}) do
      local a, b = owner_of(d.from), owner_of(d.to)
      if a and b and a ~= b then
        local l = deps_of[a]
        if not l then l = {}; deps_of[a] = l end
        l[#l + 1] = { to = b, fk = d.from:match("^constraint:") ~= nil, from = d.from }
      end
    end
  end
  -- is dependency key a foreign key constraint (in either model)?
  local function is_fk(key)
    if not key:match("^constraint:") then return false end
    local id = owner_of(key)
    local tk = id and id:match("^tables\0(.*)$")
    if not tk then return false end
    local cname = key:sub(#"constraint:" + #tk + 2)
    for _, m in ipairs { from, to } do
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
    for _, d in ipairs(deps_of[id] or {}) do
      -- a stub's own foreign keys are left out, so what they point at is not needed
      if not full[d.to] and not stub[d.to] and not (stub[id] and is_fk(d.from)) then
        stub[d.to] = true
        queue[#queue + 1] = d.to
      end
    end
  end
  local nstub = 0
  for _ in pairs(stub) do nstub = nstub + 1 end
  if (nfull + nstub) * 2 > total then return nil end

  local function part(m)
    local p = model.new()
    p.server_version = m.server_version
    for _, kind in ipairs { "schemas", "extensions", "collations" } do
      for k, o in pairs(m[kind] or {}) do p[kind][k] = o end
    end
    for _, kind in ipairs(model.KINDS) do
      for k, o in pairs(m[kind] or {}) do
        local id = kind .. "\0" .. k
        if full[id] then
          p[kind][k] = o
        elseif stub[id] then
          p[kind][k] = kind == "tables" and stub_table(o) or o
        end
      end
    end
    -- a table of the part keeps its parent (inherited columns come from it)
    local changed = true
    while changed do
      changed = false
      for _, t in pairs(p.tables) do
        for _, parent in ipairs(t.parents or {}) do
          if not p.tables[parent] and m.tables[parent] then p.tables[parent] = stub_table(m.tables[parent]); changed = true end
        end
        if t.partition_of and not p.tables[t.partition_of] and m.tables[t.partition_of] then
          p.tables[t.partition_of] = stub_table(m.tables[t.partition_of]); changed = true
        end
      end
    end
    for k, ix in pairs(m.indexes) do
      if not p.indexes[k] and full["indexes\0" .. k] then p.indexes[k] = ix end
    end
    for _, d in ipairs(m.deps or {}) do
      local a, b = owner_of(d.from), owner_of(d.to)
      local ak, akey = split_id(a)
      local bk, bkey = split_id(b)
      local oa, ob = ak and p[ak] and p[ak][akey], bk and p[bk] and p[bk][bkey]
      if oa and ob then
        -- a dependency of something a stub left out (its foreign key, trigger, policy) is dropped
        local sub, name = d.from:match("^(%a+):"), nil
        local field = ({ constraint = "constraints", trigger = "triggers", policy = "policies" })[sub]
        if field and oa[field] then name = d.from:sub(#sub + #akey + 3) end
        if not (name and not oa[field][name]) then p.deps[#p.deps + 1] = d end
      end
    end
    return p
  end
  return part(from), part(to)
end

return M
