--- dbhost.schema.model: the plain Lua schema model, and its comparison.
--
-- A model is a table of object kinds, each keyed by qualified name:
--   schemas["public"]            = { name, comment, grants }
--   extensions["pgcrypto"]       = { name, schema, version, comment, _default_version }
--   collations["public.c"]       = { schema, name, provider = c|i|d, deterministic, lc_collate, lc_ctype,
--                                    locale (ICU), comment }
--   types["public.mood"]         = { schema, name, kind = "enum"|"domain"|"composite", values |
--                                    base_type, notnull, default, collation, checks | attributes,
--                                    columns = { [attr] = { name, comment } } (composite types:
--                                    the commented attributes), comment, grants }
--   sequences["public.s"]        = { schema, name, type, start, increment, min, max, cache, cycle,
--                                    owned_by = "public.t.col", comment, grants }
--   tables["public.t"]           = { schema, name, partitioned, partition_key, partition_of,
--                                    partition_bound, parents, unlogged, rls, force_rls, options,
--                                    of_type (typed tables),
--                                    columns = { [name] = { name, type, notnull, default, generated,
--                                    identity, collation, storage, compression, statistics, comment,
--                                    _inherited, _order, _type_storage } },
--                                    constraints = { [name] = { name, type = p|u|c|f|x, def, ref_table } },
--                                    triggers = {...}, policies = {...}, comment, grants }
--   views["public.v"]            = { schema, name, materialized, def, options, populated, columns,
--                                    triggers, comment, grants }
--   indexes["public.i"]          = { schema, name, table, def, comment }
--   functions["public.f(integer)"] = { schema, name, args, kind = function|procedure|aggregate, def, result,
--                                    language, comment, grants }
--   event_triggers["name"]       = { name, event, tags, func, enabled, comment }
--   default_privileges["role.schema.r"] = { role, schema (nil: global), objtype = r|S|f|T|n,
--                                    grants (every ACL entry), _base (what a global entry replaces) }
--   deps = { { from = "view:public.v", to = "table:public.t", col = "x" }, ... }  (pg_depend;
--          auto = true marks an automatic dependency on a column: a sequence's on its owner,
--          an index's or a constraint's only on a column of a type of its own, not a built-in one)
-- Fields starting with "_" (physical column order) are not compared.
local M = {}

M.KINDS = { "schemas", "extensions", "collations", "types", "sequences", "tables", "views", "indexes", "functions",
            "event_triggers", "default_privileges" }

local LABEL = {
  schemas = "schema", extensions = "extension", types = "type", sequences = "sequence",
  tables = "table", views = "view", indexes = "index", functions = "function",
  columns = "column", constraints = "constraint", triggers = "trigger", policies = "policy",
  checks = "check", collations = "collation", event_triggers = "event trigger",
  default_privileges = "default privileges",
}
M.LABEL = LABEL

-- Fields that hold keyed maps of sub-objects.
local NESTED = { columns = true, constraints = true, triggers = true, policies = true, checks = true }

-- Fields that are facts of the server rather than declarations of the user.
local IGNORED = {}

--- model.new() -> empty model
function M.new()
  local m = { deps = {} }
  for _, k in ipairs(M.KINDS) do m[k] = {} end
  return m
end

--- model.normalise(m): sort the unordered lists so that equal schemas compare equal
function M.normalise(m)
  -- (a list of one item or none, nearly every list here, is left as it is: it is sorted)
  local function sort_lists(obj)
    local g, r = obj.grants, obj.roles
    if g and g[2] then table.sort(g) end
    if r and r[2] then table.sort(r) end
  end
  for _, kind in ipairs(M.KINDS) do
    for _, obj in pairs(m[kind]) do
      sort_lists(obj)
      if obj.policies then
        for _, p in pairs(obj.policies) do sort_lists(p) end
      end
      if obj.columns then
        for _, c in pairs(obj.columns) do sort_lists(c) end
      end
    end
  end
  return m
end

-- PostgreSQL keywords that are not "unreserved": such names need quotes.
local KEYWORDS = {}
for w in ([[all analyse analyze and any array as asc asymmetric authorization between bigint binary bit
boolean both case cast char character check coalesce collate collation column concurrently constraint
create cross current_catalog current_date current_role current_schema current_time current_timestamp
current_user dec decimal default deferrable desc distinct do else end except exists extract false fetch
float for foreign freeze from full grant greatest group grouping having ilike in initially inner inout int
integer intersect interval into is isnull join lateral leading least left like limit localtime
localtimestamp national natural nchar none normalize not notnull null nullif numeric offset on only or
order out outer overlaps overlay placing position precision primary real references returning right row
select session_user setof similar smallint some substring symmetric table tablesample then time timestamp
to trailing treat trim true union unique user using values varchar variadic verbose when where window with
xmlattributes xmlconcat xmlelement xmlexists xmlforest xmlnamespaces xmlparse xmlpi xmlroot xmlserialize
xmltable]]):gmatch("%S+") do KEYWORDS[w] = true end

--- model.ident(name) -> the name quoted as PostgreSQL's quote_ident would
local quoted = {}  -- name -> its quoted form (names repeat: every reference to a table quotes it)
function M.ident(name)
  local q = quoted[name]
  if q then return q end
  if name:match("^[a-z_][a-z0-9_$]*$") and not KEYWORDS[name] then
    q = name
  else
    q = '"' .. name:gsub('"', '""') .. '"'
  end
  quoted[name] = q
  return q
end

--- model.qname(schema, name) -> "schema.name", each part quoted when needed
function M.qname(schema, name)
  return M.ident(schema) .. "." .. M.ident(name)
end

--- model.literal(s) -> s as an SQL string literal
function M.literal(s)
  if s:find("\\", 1, true) then
    return "E'" .. s:gsub("\\", "\\\\"):gsub("'", "''") .. "'"
  end
  return "'" .. s:gsub("'", "''") .. "'"
end

local function show(v)
  if v == nil then return "(none)" end
  if type(v) == "table" then
    if #v == 0 then return "(none)" end
    return "[" .. table.concat(v, ", ") .. "]"
  end
  if v == true then return "true" elseif v == false then return "false" end
  local s = tostring(v)
  if #s > 200 or s:find("\n") then
    s = s:gsub("%s+", " ")
    if #s > 200 then s = s:sub(1, 197) .. "..." end
  end
  return s
end

local function is_list(v)
  return type(v) == "table" and (v[1] ~= nil or next(v) == nil)
end

-- Lists whose order means nothing.
local UNORDERED = { options = true, grants = true, roles = true, tags = true }

local function same(a, b, k)
  if UNORDERED[k] and type(a) == "table" and type(b) == "table" and #a == #b then
    local set = {}
    for _, v in ipairs(a) do set[v] = (set[v] or 0) + 1 end
    for _, v in ipairs(b) do
      if not set[v] or set[v] == 0 then return false end
      set[v] = set[v] - 1
    end
    return true
  end
  if a == false then a = nil end
  if b == false then b = nil end
  if type(a) == "table" and type(b) == "table" then
    if #a ~= #b then return false end
    for i = 1, #a do if a[i] ~= b[i] then return false end end
    return true
  end
  if type(a) == "table" and #a == 0 and b == nil then return true end
  if type(b) == "table" and #b == 0 and a == nil then return true end
  return a == b
end

local function sorted_keys(a, b)
  local keys, seen = {}, {}
  for _, t in ipairs { a or {}, b or {} } do
    for k in pairs(t) do
      if not seen[k] then
        seen[k] = true
        keys[#keys + 1] = k
      end
    end
  end
  table.sort(keys, function(x, y) return tostring(x) < tostring(y) end)
  return keys
end

-- Are a and b the same value, fields starting with "_" aside? (The fast answer for the
-- objects that did not change, nearly all of them on a big schema: no sorting, no labels.)
local UNDERSCORE = ("_"):byte()
local function identical(a, b)
  if a == b then return true end
  if type(a) ~= "table" or type(b) ~= "table" then return false end
  for k, v in pairs(a) do
    local w = b[k]
    if v ~= w and (type(v) ~= "table" or type(w) ~= "table" or not identical(v, w))
        and not (type(k) == "string" and k:byte() == UNDERSCORE) then
      return false
    end
  end
  for k in pairs(b) do
    if a[k] == nil and not (type(k) == "string" and k:byte() == UNDERSCORE) then return false end
  end
  return true
end

-- Compare two objects of the same kind; nested keyed maps (columns, ...) are
-- walked, every other field compared as a value.
local function compare_object(a, b, label, out, kind)
  if identical(a, b) then return end
  for _, k in ipairs(sorted_keys(a, b)) do
    local va, vb = a[k], b[k]
    if type(k) == "string" and k:sub(1, 1) ~= "_" and IGNORED[k] ~= kind then
      local sub = NESTED[k] and LABEL[k]
      if sub then
        for _, name in ipairs(sorted_keys(va, vb)) do
          local oa, ob = (va or {})[name], (vb or {})[name]
          if oa == nil then
            out[#out + 1] = ("%s: %s %s missing"):format(label, sub, name)
          elseif ob == nil then
            out[#out + 1] = ("%s: unexpected %s %s"):format(label, sub, name)
          else
            compare_object(oa, ob, ("%s: %s %s"):format(label, sub, name), out, k)
          end
        end
      elseif type(va) == "table" and not is_list(va) and type(vb) == "table" and not is_list(vb) then
        compare_object(va, vb, label .. " " .. k, out, k)
      elseif not same(va, vb, k) then
        out[#out + 1] = ("%s %s %s, want %s"):format(label, k, show(va), show(vb))
      end
    end
  end
end

--- model.compare(a, b) -> true | nil, { "table public.x: column y type integer, want bigint", ... }
-- a is the state found, b the state wanted. OIDs and the physical order of
-- columns are not compared (ALTER TABLE cannot reorder columns).
function M.compare(a, b)
  local out = {}
  for _, kind in ipairs(M.KINDS) do
    local ka, kb = a[kind] or {}, b[kind] or {}
    for _, name in ipairs(sorted_keys(ka, kb)) do
      local oa, ob = ka[name], kb[name]
      if oa == nil then
        out[#out + 1] = ("%s %s missing"):format(LABEL[kind], name)
      elseif ob == nil then
        out[#out + 1] = ("unexpected %s %s"):format(LABEL[kind], name)
      else
        compare_object(oa, ob, LABEL[kind] .. " " .. name, out, kind)
      end
    end
  end
  if #out == 0 then return true end
  return nil, out
end

-- deps grouped by one end (field "from" or "to"): key -> positions in deps, ascending.
-- Built once per list and end, kept while the list lives and keeps its length (the planner
-- and the verification look up the same model's deps).
local by_end_cache = { from = setmetatable({}, { __mode = "k" }), to = setmetatable({}, { __mode = "k" }) }
local function by_end(deps, field)
  local cache = by_end_cache[field]
  local c = cache[deps]
  if c and c.n == #deps then return c.map end
  local map = {}
  for n, d in ipairs(deps) do
    local k = d[field]
    local l = map[k]
    if not l then l = {}; map[k] = l end
    l[#l + 1] = n
  end
  cache[deps] = { n = #deps, map = map }
  return map
end

--- model.deps_from(deps) -> map: dependency key -> positions in deps of the dependencies
-- from that key; model.deps_to(deps): of those on that key
function M.deps_from(deps) return by_end(deps, "from") end
function M.deps_to(deps) return by_end(deps, "to") end

--- model.count(m) -> { tables = n, ... } for reports
function M.count(m)
  local c = {}
  for _, kind in ipairs(M.KINDS) do
    local n = 0
    for _ in pairs(m[kind]) do n = n + 1 end
    c[kind] = n
  end
  return c
end

--- model.sorted(map) -> the values of a keyed map, ordered by key
function M.sorted(map)
  local keys = {}
  for k in pairs(map or {}) do keys[#keys + 1] = k end
  table.sort(keys)
  local out = {}
  for i, k in ipairs(keys) do out[i] = map[k] end
  return out, keys
end

return M
