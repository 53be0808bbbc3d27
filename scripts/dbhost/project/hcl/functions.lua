--- dbhost.project.hcl.functions: the functions HCL expressions can call (a
-- subset of Atlas's schemahcl stdlib), by name: fn(args, ctx) -> value, where
-- args is a list with args.n. They raise plain Lua errors; the evaluator adds
-- the file, line and column of the call. try() is not here: it is lazy, so the
-- evaluator does it.
local json = require "dbhost.json"
local values = require "dbhost.project.hcl.values"
local gofmt = require "dbhost.project.hcl.gofmt"
local gourl = require "dbhost.project.hcl.gourl"

local NULL, is_list, type_name, deep_equal = values.null, values.is_list, values.type_name, values.deep_equal
local arity, str_arg, list_arg = values.arity, values.str_arg, values.list_arg
local query_escape, userinfo_escape = gourl.query_escape, gourl.userinfo_escape
local split_url, join_url = gourl.split_url, gourl.join_url
local jsonencode = json.encoder(values.JSON)

local M = {
  getenv = function(args, ctx)
    arity(args, 1, 1)
    local get = ctx.getenv or os.getenv
    return get(str_arg(args, 1)) or ""
  end,
  file = function(args, ctx)
    arity(args, 1, 1)
    local path = str_arg(args, 1)
    if path:sub(1, 1) ~= "/" and ctx.dir and ctx.dir ~= "." then path = ctx.dir .. "/" .. path end
    local f, err = io.open(path, "rb")
    if not f then error(err, 0) end
    local data = f:read("a")
    f:close()
    return data
  end,
  format = function(args)
    arity(args, 1, math.huge)
    return gofmt.sprintf(args)
  end,
  join = function(args)
    arity(args, 2, math.huge)
    local sep, out = str_arg(args, 1), {}
    for i = 2, args.n do
      local l = list_arg(args, i)
      for j = 1, #l do out[#out + 1] = str_arg(l, j) end
    end
    return table.concat(out, sep)
  end,
  split = function(args)
    arity(args, 2, 2)
    local sep, s = str_arg(args, 1), str_arg(args, 2)
    local out = values.list()
    if sep == "" then
      for _, c in utf8.codes(s) do out[#out + 1] = utf8.char(c) end
      return out
    end
    local i = 1
    while true do
      local a, b = s:find(sep, i, true)
      if not a then break end
      out[#out + 1] = s:sub(i, a - 1)
      i = b + 1
    end
    out[#out + 1] = s:sub(i)
    return out
  end,
  lower = function(args) arity(args, 1, 1) return str_arg(args, 1):lower() end,
  upper = function(args) arity(args, 1, 1) return str_arg(args, 1):upper() end,
  trimspace = function(args)
    arity(args, 1, 1)
    return (str_arg(args, 1):gsub("^%s+", ""):gsub("%s+$", ""))
  end,
  trimprefix = function(args)
    arity(args, 2, 2)
    local s, p = str_arg(args, 1), str_arg(args, 2)
    if p ~= "" and s:sub(1, #p) == p then return s:sub(#p + 1) end
    return s
  end,
  trimsuffix = function(args)
    arity(args, 2, 2)
    local s, p = str_arg(args, 1), str_arg(args, 2)
    if p ~= "" and s:sub(-#p) == p then return s:sub(1, -#p - 1) end
    return s
  end,
  replace = function(args)
    arity(args, 3, 3)
    local s, old, new = str_arg(args, 1), str_arg(args, 2), str_arg(args, 3)
    if #old >= 2 and old:sub(1, 1) == "/" and old:sub(-1) == "/" then
      error("regular-expression replacement is not supported", 0)
    end
    if old == "" then return s end
    local out, i = {}, 1
    while true do
      local a, b = s:find(old, i, true)
      if not a then break end
      out[#out + 1] = s:sub(i, a - 1)
      out[#out + 1] = new
      i = b + 1
    end
    out[#out + 1] = s:sub(i)
    return table.concat(out)
  end,
  urlescape = function(args) arity(args, 1, 1) return query_escape(str_arg(args, 1)) end,
  urlsetpath = function(args)
    arity(args, 2, 2)
    local p = split_url(str_arg(args, 1))
    local path = str_arg(args, 2)
    if path ~= "" and path:sub(1, 1) ~= "/" then path = "/" .. path end
    p.path = path
    return join_url(p)
  end,
  urlqueryset = function(args)
    arity(args, 3, 3)
    local p = split_url(str_arg(args, 1))
    local key, value = str_arg(args, 2), str_arg(args, 3)
    -- Go's Values.Encode sorts the keys; the new value replaces all old ones.
    local pairs_list = {}
    for item in (p.query or ""):gmatch("[^&]+") do
      local k = item:match("^([^=]*)")
      if k ~= query_escape(key) then pairs_list[#pairs_list + 1] = item end
    end
    pairs_list[#pairs_list + 1] = query_escape(key) .. "=" .. query_escape(value)
    table.sort(pairs_list, function(a, b) return a:match("^[^=]*") < b:match("^[^=]*") end)
    p.query = table.concat(pairs_list, "&")
    return join_url(p)
  end,
  urluserinfo = function(args)
    arity(args, 2, 3)
    local p = split_url(str_arg(args, 1))
    local info = userinfo_escape(str_arg(args, 2))
    if args.n == 3 and args[3] ~= NULL then info = info .. ":" .. userinfo_escape(str_arg(args, 3)) end
    p.userinfo = info
    return join_url(p)
  end,
  jsonencode = function(args) arity(args, 1, 1) return jsonencode(args[1]) end,
  tolist = function(args)
    arity(args, 1, 1)
    return values.list(table.move(list_arg(args, 1), 1, #args[1], 1, {}))
  end,
  -- Sets of strings come out sorted, as cty orders them (for_each relies on it).
  toset = function(args)
    arity(args, 1, 1)
    local l, seen, out = list_arg(args, 1), {}, values.list()
    local all_strings = true
    for _, v in ipairs(l) do
      local key = type(v) == "table" and jsonencode(v) or (type(v) .. ":" .. tostring(v))
      if not seen[key] then
        seen[key] = true
        out[#out + 1] = v
        all_strings = all_strings and type(v) == "string"
      end
    end
    if all_strings then table.sort(out) end
    return out
  end,
  length = function(args)
    arity(args, 1, 1)
    local v = args[1]
    if type(v) == "string" then return utf8.len(v) or #v end
    if type(v) == "table" and v ~= NULL then
      if is_list(v) then return #v end
      local n = 0
      for _ in pairs(v) do n = n + 1 end
      return n
    end
    error("argument 1 must be a string, list or object, got " .. type_name(v), 0)
  end,
  concat = function(args)
    local out = values.list()
    for i = 1, args.n do
      for _, v in ipairs(list_arg(args, i)) do out[#out + 1] = v end
    end
    return out
  end,
  contains = function(args)
    arity(args, 2, 2)
    for _, v in ipairs(list_arg(args, 1)) do
      if deep_equal(v, args[2]) then return true end
    end
    return false
  end,
  coalesce = function(args)
    for i = 1, args.n do
      local v = args[i]
      if v ~= NULL and v ~= "" then return v end
    end
    error("no non-null, non-empty argument", 0)
  end,
  tostring = function(args) arity(args, 1, 1) return str_arg(args, 1) end,
  tonumber = function(args)
    arity(args, 1, 1)
    local n = tonumber(args[1])
    if not n then error("cannot convert \"" .. tostring(args[1]) .. "\" to a number", 0) end
    return n
  end,
  -- Type constraints (variable "x" { type = list(string) }) evaluate to their spelling.
  list = function(args) arity(args, 1, 1) return "list(" .. str_arg(args, 1) .. ")" end,
  set = function(args) arity(args, 1, 1) return "set(" .. str_arg(args, 1) .. ")" end,
  map = function(args) arity(args, 1, 1) return "map(" .. str_arg(args, 1) .. ")" end,
  abs = function(args) arity(args, 1, 1) return math.abs(tonumber(args[1]) or error("argument 1 must be a number", 0)) end,
}


return M
