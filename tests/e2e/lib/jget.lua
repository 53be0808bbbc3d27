-- jget.lua PATH: read a JSON document on stdin, print the value at PATH
-- (".a.b[1].c"; "." is the whole document) in a canonical form: keys sorted,
-- no spaces, so end-to-end tests compare JSON without depending on key order.
-- Run as: "$DBHOST" lua tests/e2e/lib/jget.lua PATH
local json = require "dbhost.json"
local path = assert(arg[1], "usage: jget.lua PATH")
local doc = assert(json.decode(io.read("a"), "stdin"))

local function canonical(v)
  if v == nil or v == json.null then return "null" end
  if type(v) == "string" then
    return '"' .. v:gsub('[%c"\\]', function(c) return ("\\u%04x"):format(c:byte()) end) .. '"'
  end
  if type(v) ~= "table" then return tostring(v) end
  if #v > 0 or next(v) == nil then
    local out = {}
    for i, x in ipairs(v) do out[i] = canonical(x) end
    return "[" .. table.concat(out, ",") .. "]"
  end
  local keys = {}
  for k in pairs(v) do keys[#keys + 1] = k end
  table.sort(keys)
  local out = {}
  for i, k in ipairs(keys) do out[i] = canonical(k) .. ":" .. canonical(v[k]) end
  return "{" .. table.concat(out, ",") .. "}"
end

local v = doc
for step in path:gmatch("[^.%[%]]+") do
  if type(v) ~= "table" then v = nil break end
  v = v[math.tointeger(tonumber(step)) or step]
end
io.stdout:write(canonical(v), "\n")
