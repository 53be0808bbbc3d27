--- dbhost.json: JSON for dbhost's own documents, on top of lua-cjson.
--
--   json.encode(value [, indent]) -> string
--   json.decode(text [, name]) -> value | nil, "name:LINE:COL: expected ...", "EJSON"
--   json.encoder(opts) -> function(value [, indent]) -> string   (other conventions, e.g. HCL's)
--
-- cjson escapes every string and key and spells the floats; this module only
-- walks tables so that keys come out sorted (stable output) and, with an
-- indent, one item a line. Objects are Lua tables with string keys, arrays are
-- sequences (an empty table encodes as []; json.object() makes an empty one
-- that encodes as {}). JSON null is json.null (= cjson.null), so that arrays
-- keep their length. Decoded objects are plain tables: an empty object comes
-- back as an empty table, which encodes as [] again.
local cjson = require "cjson"

local M = {}

-- A private instance: settings made here do not change other users of cjson.
local cj = cjson.new()
M.MAX_DEPTH = 512
cj.decode_max_depth(M.MAX_DEPTH)
cj.decode_invalid_numbers(false)  -- no NaN, Infinity or hex numbers in input
cj.encode_invalid_numbers(false)  -- and none in output either

M.null = cjson.null
local object_mt = { __name = "json.object" }

--- json.object([t]) -> t marked as an object (so {} encodes as {})
function M.object(t) return setmetatable(t or {}, object_mt) end

-- A sequence without holes and without other keys (json.object() never is one).
local function is_array(t)
  if getmetatable(t) == object_mt then return false end
  local n = #t
  if n == 0 then return next(t) == nil end
  for k in pairs(t) do
    if math.type(k) ~= "integer" or k < 1 or k > n then return false end
  end
  return true
end

-- cjson writes "/" as "\/"; every "/" it writes is escaped so, so dropping
-- the backslash before each one gives the plain spelling back.
local function encode_string(s)
  return (cj.encode(s):gsub("\\/", "/"))
end

-- Integers keep all their digits (cjson spells every number as a double with
-- 14 significant digits); floats take cjson's spelling when it reads back as
-- the same number, else 17 digits.
local function encode_number(n)
  if math.type(n) == "integer" then return ("%d"):format(n) end
  local s = cj.encode(n)  -- raises on NaN and infinities
  if tonumber(s) ~= n then s = ("%.17g"):format(n) end
  return s
end

--- json.encoder(opts) -> encode(value [, indent]) -> string, with keys sorted
-- opts (all optional): is_array(t) -> bool, null (the sentinel that encodes as
-- null), number(n) -> string, html_safe (write <, > and & as \u003c, \u003e,
-- \u0026, as Go's encoding/json does).
function M.encoder(opts)
  local array_p = opts.is_array or is_array
  local null = opts.null or M.null
  local number = opts.number or encode_number
  local encode_value

  -- An array or object, one item a line when indented.
  local function encode_table(t, indent, depth, seen)
    if seen[t] then error("json.encode: cycle in table", 0) end
    seen[t] = true
    local nl, pad, pad_in, sep = "", "", "", ":"
    if indent then
      nl, sep = "\n", ": "
      pad, pad_in = indent:rep(depth), indent:rep(depth + 1)
    end
    local parts, out = {}, nil
    if array_p(t) then
      for i = 1, #t do parts[i] = pad_in .. encode_value(t[i], indent, depth + 1, seen) end
      out = #parts == 0 and "[]" or ("[" .. nl .. table.concat(parts, "," .. nl) .. nl .. pad .. "]")
    else
      local keys = {}
      for k in pairs(t) do
        if type(k) ~= "string" then error("json.encode: object key is a " .. type(k), 0) end
        keys[#keys + 1] = k
      end
      table.sort(keys)
      for i, k in ipairs(keys) do
        parts[i] = pad_in .. encode_string(k) .. sep .. encode_value(t[k], indent, depth + 1, seen)
      end
      out = #parts == 0 and "{}" or ("{" .. nl .. table.concat(parts, "," .. nl) .. nl .. pad .. "}")
    end
    seen[t] = nil
    return out
  end

  -- encode_value(v, indent, depth, seen) -> the JSON text of any value.
  encode_value = function(v, indent, depth, seen)
    local tv = type(v)
    if v == nil or v == null or v == M.null then return "null" end
    if tv == "boolean" then return v and "true" or "false" end
    if tv == "number" then
      if v ~= v or v == math.huge or v == -math.huge then error("json.encode: number is not finite", 0) end
      return number(v)
    end
    if tv == "string" then return encode_string(v) end
    if tv == "table" then return encode_table(v, indent, depth, seen) end
    error("json.encode: cannot encode a " .. tv, 0)
  end

  local html = { ["<"] = "\\u003c", [">"] = "\\u003e", ["&"] = "\\u0026" }
  return function(value, indent)
    local s = encode_value(value, indent, 0, {})
    -- These characters occur only inside strings, so the whole text can be rewritten.
    if opts.html_safe then s = s:gsub("[<>&]", html) end
    return s
  end
end

--- json.encode(value [, indent]) -> string (keys sorted, so output is stable)
M.encode = M.encoder {}

-- Decoder ------------------------------------------------------------------

-- cjson names tokens in its messages; these are the words users read.
local TOKENS = {
  T_OBJ_BEGIN = '"{"', T_OBJ_END = '"}"', T_ARR_BEGIN = '"["', T_ARR_END = '"]"',
  T_STRING = "a string", T_NUMBER = "a number", T_BOOLEAN = "a boolean", T_NULL = "null",
  T_COLON = '":"', T_COMMA = '","', T_END = "end of input",
  ["unexpected end of string"] = "an unterminated string",
}
local EXPECTED = {
  ["comma or array end"] = '"," or "]"', ["comma or object end"] = '"," or "}"',
  colon = '":"', ["object key string"] = "a string key", value = "a JSON value",
  ["the end"] = "the end of input",
}

-- line_col(text, offset) -> line, column (in characters) of a 1-based byte offset.
local function line_col(text, offset)
  local before = text:sub(1, offset - 1)
  local line, last_nl = 1, 0
  for i in before:gmatch("()\n") do line, last_nl = line + 1, i end
  local prefix = before:sub(last_nl + 1)
  return line, (utf8.len(prefix) or #prefix) + 1
end

-- located(text, name, cjson_message) -> "name:LINE:COL: expected X, found Y"
local function located(text, name, msg)
  local want, got, at = msg:match("^Expected (.-) but found (.-) at character (%d+)$")
  local what
  if want then
    what = ("expected %s, found %s"):format(EXPECTED[want] or want, TOKENS[got] or got)
  else
    at = msg:match("^Found too many nested data structures %(%d+%) at character (%d+)$")
    if not at then error(msg, 0) end  -- not a syntax error: a bug to see, not to report
    what = ("nesting too deep (more than %d levels)"):format(M.MAX_DEPTH)
  end
  local line, col = line_col(text, tonumber(at))
  return ("%s:%d:%d: %s"):format(name, line, col, what)
end

-- Floats that hold whole numbers become integers, as JSON has only one number type.
local function integers(v)
  if type(v) == "number" then return math.tointeger(v) or v end
  if type(v) == "table" then
    for k, x in pairs(v) do v[k] = integers(x) end  -- 1 == 1.0, so assign always
  end
  return v
end

--- json.decode(text [, name]) -> value | nil, message, "EJSON"
function M.decode(text, name)
  if type(text) ~= "string" then error("json.decode: text must be a string", 2) end
  local ok, value = pcall(cj.decode, text)
  if not ok then return nil, located(text, name or "json", tostring(value)), "EJSON" end
  return integers(value)
end

return M
