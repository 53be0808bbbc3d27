--- dbhost.json: JSON encode and decode for dbhost's own documents.
--
--   json.encode(value [, indent]) -> string
--   json.decode(text [, name]) -> value | nil, "name:LINE:COL: expected ...", "EJSON"
--
-- Objects are Lua tables with string keys, arrays are sequences (an empty
-- table encodes as []; json.object() makes an empty one that encodes as {}).
-- JSON null decodes to json.null, a unique sentinel, so that arrays keep their length.
local M = {}

M.null = setmetatable({}, { __tostring = function() return "null" end, __name = "json.null" })
local object_mt = { __name = "json.object" }

--- json.object([t]) -> t marked as an object (so {} encodes as {})
function M.object(t) return setmetatable(t or {}, object_mt) end

local escapes = { ['"'] = '\\"', ["\\"] = "\\\\", ["\b"] = "\\b", ["\f"] = "\\f",
                  ["\n"] = "\\n", ["\r"] = "\\r", ["\t"] = "\\t" }

local function encode_string(s)
  return '"' .. s:gsub('[%c"\\]', function(c)
    return escapes[c] or ("\\u%04x"):format(c:byte())
  end) .. '"'
end

local function is_array(t)
  if getmetatable(t) == object_mt then return false end
  local n = #t
  if n == 0 then return next(t) == nil end
  for k in pairs(t) do
    if math.type(k) ~= "integer" or k < 1 or k > n then return false end
  end
  return true
end

local encode_value

local function encode_table(t, indent, depth, seen)
  if seen[t] then error("json.encode: cycle in table", 0) end
  seen[t] = true
  local nl, pad, pad_in, sep = "", "", "", ":"
  if indent then
    nl = "\n"
    pad = string.rep(indent, depth)
    pad_in = string.rep(indent, depth + 1)
    sep = ": "
  end
  local parts = {}
  local out
  if is_array(t) then
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

encode_value = function(v, indent, depth, seen)
  local tv = type(v)
  if v == nil or v == M.null then return "null" end
  if tv == "boolean" then return tostring(v) end
  if tv == "number" then
    if v ~= v or v == math.huge or v == -math.huge then error("json.encode: number is not finite", 0) end
    if math.type(v) == "integer" then return tostring(v) end
    return (("%.17g"):format(v))
  end
  if tv == "string" then return encode_string(v) end
  if tv == "table" then return encode_table(v, indent, depth, seen) end
  error("json.encode: cannot encode a " .. tv, 0)
end

--- json.encode(value [, indent]) -> string (keys sorted, so output is stable)
function M.encode(value, indent)
  return encode_value(value, indent, 0, {})
end

-- Decoder ------------------------------------------------------------------

local Decoder = {}
Decoder.__index = Decoder

function Decoder:fail(pos, what)
  local line, col = 1, 1
  local text = self.text
  for i = 1, math.min(pos, #text + 1) - 1 do
    if text:byte(i) == 10 then line, col = line + 1, 1 else col = col + 1 end
  end
  error({ json_error = ("%s:%d:%d: %s"):format(self.name, line, col, what) }, 0)
end

function Decoder:skip(pos)
  return self.text:find("[^ \t\r\n]", pos) or #self.text + 1
end

local function found(text, pos)
  if pos > #text then return "end of input" end
  return ("%q"):format(text:sub(pos, pos))
end

function Decoder:string(pos)
  local text, buf, i = self.text, {}, pos + 1
  while true do
    local j = text:find('["\\%c]', i)
    if not j then self:fail(pos, "unterminated string") end
    buf[#buf + 1] = text:sub(i, j - 1)
    local c = text:sub(j, j)
    if c == '"' then return table.concat(buf), j + 1 end
    if c ~= "\\" then self:fail(j, "control character in string") end
    local e = text:sub(j + 1, j + 1)
    local simple = { ['"'] = '"', ["\\"] = "\\", ["/"] = "/", b = "\b", f = "\f", n = "\n", r = "\r", t = "\t" }
    if simple[e] then
      buf[#buf + 1] = simple[e]
      i = j + 2
    elseif e == "u" then
      local hex = text:match("^%x%x%x%x", j + 2)
      if not hex then self:fail(j, "expected 4 hex digits after \\u") end
      local cp = tonumber(hex, 16)
      i = j + 6
      if cp >= 0xD800 and cp <= 0xDBFF then
        local lo = text:match("^\\u(%x%x%x%x)", i)
        lo = lo and tonumber(lo, 16)
        if lo and lo >= 0xDC00 and lo <= 0xDFFF then
          cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00)
          i = i + 6
        end
      end
      buf[#buf + 1] = utf8.char(cp)
    else
      self:fail(j, "invalid escape \\" .. e)
    end
  end
end

function Decoder:value(pos, depth)
  if depth > 512 then self:fail(pos, "nesting too deep") end
  pos = self:skip(pos)
  local text = self.text
  local c = text:sub(pos, pos)
  if c == "{" then
    local obj = M.object()
    pos = self:skip(pos + 1)
    if text:sub(pos, pos) == "}" then return obj, pos + 1 end
    while true do
      if text:sub(pos, pos) ~= '"' then self:fail(pos, "expected a string key, found " .. found(text, pos)) end
      local key
      key, pos = self:string(pos)
      pos = self:skip(pos)
      if text:sub(pos, pos) ~= ":" then self:fail(pos, 'expected ":", found ' .. found(text, pos)) end
      obj[key], pos = self:value(pos + 1, depth + 1)
      pos = self:skip(pos)
      local d = text:sub(pos, pos)
      if d == "}" then return obj, pos + 1 end
      if d ~= "," then self:fail(pos, 'expected "," or "}", found ' .. found(text, pos)) end
      pos = self:skip(pos + 1)
    end
  elseif c == "[" then
    local arr, n = {}, 0
    pos = self:skip(pos + 1)
    if text:sub(pos, pos) == "]" then return arr, pos + 1 end
    while true do
      n = n + 1
      arr[n], pos = self:value(pos, depth + 1)
      pos = self:skip(pos)
      local d = text:sub(pos, pos)
      if d == "]" then return arr, pos + 1 end
      if d ~= "," then self:fail(pos, 'expected "," or "]", found ' .. found(text, pos)) end
      pos = pos + 1
    end
  elseif c == '"' then
    return self:string(pos)
  elseif text:find("^true", pos) then
    return true, pos + 4
  elseif text:find("^false", pos) then
    return false, pos + 5
  elseif text:find("^null", pos) then
    return M.null, pos + 4
  else
    local num = text:match("^-?%d+%.?%d*[eE]?[-+]?%d*", pos)
    if num and num ~= "" and num ~= "-" then
      local v = math.tointeger(tonumber(num)) or tonumber(num)
      if v == nil then self:fail(pos, "malformed number " .. num) end
      return v, pos + #num
    end
    self:fail(pos, "expected a JSON value, found " .. found(text, pos))
  end
end

--- json.decode(text [, name]) -> value | nil, message, "EJSON"
function M.decode(text, name)
  local d = setmetatable({ text = text, name = name or "json" }, Decoder)
  local ok, value, pos = pcall(d.value, d, 1, 0)
  if not ok then
    if type(value) == "table" and value.json_error then return nil, value.json_error, "EJSON" end
    error(value, 0)
  end
  pos = d:skip(pos)
  if pos <= #text then
    local ok2, err = pcall(d.fail, d, pos, "unexpected " .. found(text, pos) .. " after the value")
    assert(not ok2)
    return nil, err.json_error, "EJSON"
  end
  return value
end

return M
