--- dbhost.project.hcl.gofmt: Go's fmt.Sprintf for the verbs HCL's format() knows.
--
--   gofmt.sprintf(args) -> string   args = { fmt, v1, v2, ..., n = count }
-- Raises plain Lua errors (format() adds the position): unknown verbs, missing
-- or unused arguments, a value of the wrong type for its verb.
local json = require "dbhost.json"
local values = require "dbhost.project.hcl.values"

local M = {}
local NULL, type_name, str_arg = values.null, values.type_name, values.str_arg
local jsonencode = json.encoder(values.JSON)

-- sprintf(args): args[1] is the format, the rest its values.
function M.sprintf(args)
  local fmt = str_arg(args, 1)
  local i = 1
  local out = fmt:gsub("%%([%-+ #0]*)(%d*)(%.?%d*)(.?)", function(flags, width, prec, verb)
    if verb == "%" then return "%" end
    if verb == "" then error("unterminated format verb at the end", 0) end
    i = i + 1
    if i > args.n then error(string.format("not enough arguments for %%%s", verb), 0) end
    local v = args[i]
    local spec = "%" .. flags .. width .. prec
    if verb == "s" or verb == "v" then
      local s
      if type(v) == "table" and v ~= NULL then s = jsonencode(v)
      elseif v == NULL then s = "null"
      else s = str_arg(args, i) end
      return string.format(spec .. "s", s)
    elseif verb == "q" then
      return string.format(spec .. "s", jsonencode(str_arg(args, i)))
    elseif verb == "d" then
      local n = tonumber(v)
      if not n or n ~= math.floor(n) then error(string.format("%%d needs an integer, got %s", type_name(v)), 0) end
      return string.format(spec .. "d", math.tointeger(n))
    elseif verb == "f" or verb == "e" or verb == "g" then
      local n = tonumber(v)
      if not n then error(string.format("%%%s needs a number, got %s", verb, type_name(v)), 0) end
      return string.format(spec .. verb, n)
    elseif verb == "t" then
      if type(v) ~= "boolean" then error(string.format("%%t needs a bool, got %s", type_name(v)), 0) end
      return string.format(spec .. "s", tostring(v))
    elseif verb == "x" or verb == "X" then
      local n = math.tointeger(tonumber(v))
      if n then return string.format(spec .. verb, n) end
      return (str_arg(args, i):gsub(".", function(c) return string.format(verb == "x" and "%02x" or "%02X", c:byte()) end))
    end
    error(string.format("unsupported format verb %%%s", verb), 0)
  end)
  if i < args.n then error(string.format("too many arguments: %d unused", args.n - i), 0) end
  return out
end

return M
