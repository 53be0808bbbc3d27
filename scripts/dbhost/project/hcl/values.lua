--- dbhost.project.hcl.values: HCL values (null, lists, objects), the error
-- that evaluation raises, and the conversions functions use on their arguments.
-- Shared by parse, eval and functions; requires nothing.
local M = {}

local NULL = setmetatable({}, { __name = "hcl.null", __tostring = function() return "null" end })
M.null = NULL

local List = { __name = "hcl.list" }
M.List = List

--- hcl.list(t) -> t marked as a list
function M.list(t) return setmetatable(t or {}, List) end

--- hcl.is_list(v) -> true for lists (marked, or non-empty sequences)
local function is_list(v)
  if type(v) ~= "table" or v == NULL then return false end
  if getmetatable(v) == List then return true end
  return v[1] ~= nil
end
M.is_list = is_list

-- Errors raised inside evaluation carry the finished message; the public entry
-- points catch them and return nil, msg, code.
local HclError = { __name = "hcl.error" }
HclError.__tostring = function(e) return e.msg end

--- hcl.raise(msg, code): raise an evaluation error from a lazy resolver or function.
function M.raise(msg, code)
  error(setmetatable({ msg = msg, code = code or "EHCL" }, HclError), 0)
end

--- hcl.is_error(e) -> true for errors raised by hcl.raise
function M.is_error(e) return getmetatable(e) == HclError end

-- type_name(v) -> "string", "number", "bool", "null", "list", "object"
local function type_name(v)
  local t = type(v)
  if t == "boolean" then return "bool" end
  if v == NULL or v == nil then return "null" end
  if t == "table" then return is_list(v) and "list" or "object" end
  return t
end
M.type_name = type_name

-- number_string(n) -> the HCL spelling of a number ("3", "2.5")
local function number_string(n)
  if math.type(n) == "integer" then return tostring(n) end
  if n == math.floor(n) and math.abs(n) < 2 ^ 53 then return string.format("%d", n) end
  local s = string.format("%.15g", n)
  if tonumber(s) ~= n then s = string.format("%.17g", n) end
  return s
end
M.number_string = number_string

-- deep_equal(a, b) -> true when two values are equal as HCL compares them (lists vs objects differ).
local function deep_equal(a, b)
  if a == b then return true end
  if type(a) ~= "table" or type(b) ~= "table" or a == NULL or b == NULL then return false end
  if is_list(a) ~= is_list(b) then return false end
  for k, v in pairs(a) do
    if not deep_equal(v, b[k]) then return false end
  end
  for k in pairs(b) do
    if a[k] == nil then return false end
  end
  return true
end
M.deep_equal = deep_equal

-- Argument helpers: raise plain Lua errors; call_function adds the position.
function M.arity(args, min, max)
  if args.n < min or args.n > (max or min) then
    local want = (max == min or max == nil) and tostring(min)
      or (max == math.huge and ("at least " .. min) or (min .. " to " .. max))
    error(string.format("expects %s argument%s, got %d", want, want == "1" and "" or "s", args.n), 0)
  end
end

-- str_arg(args, i) -> argument i as a string (numbers and bools convert, as in HCL).
function M.str_arg(args, i)
  local v = args[i]
  local t = type(v)
  if t == "string" then return v end
  if t == "number" then return number_string(v) end
  if t == "boolean" then return v and "true" or "false" end
  error(string.format("argument %d must be a string, got %s", i, type_name(v)), 0)
end

-- list_arg(args, i) -> argument i, which must be a list (an empty table counts).
function M.list_arg(args, i)
  local v = args[i]
  if type(v) == "table" and v ~= NULL and (is_list(v) or next(v) == nil) then return v end
  error(string.format("argument %d must be a list, got %s", i, type_name(v)), 0)
end

-- What HCL's jsonencode() writes (as Go's encoding/json): lists as arrays, other
-- tables as objects, hcl.null as null, numbers spelled as HCL does, and <, >, &
-- escaped. Options for dbhost.json's encoder, kept here so that this module needs no C.
M.JSON = { is_array = is_list, null = NULL, number = number_string, html_safe = true }

return M
