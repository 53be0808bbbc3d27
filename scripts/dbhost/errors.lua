--- dbhost.errors: structured errors that choose the exit status.
--
-- A command raises `errors.usage(...)` for bad flags or arguments (exit 2),
-- `errors.config(...)` for bad configuration or input files (exit 2) and
-- `errors.failed(...)` when a check fails (exit 1). The host prints
-- "dbhost: <message>" and exits with the status; no traceback is shown.
local M = {}

-- The metatable is registered under "dbhost.error" so C code can make the same errors.
local Error = debug.getregistry()["dbhost.error"] or {}
debug.getregistry()["dbhost.error"] = Error
Error.__index = Error
Error.__tostring = function(e) return e.message end
M.Error = Error

--- errors.new(status, fmt, ...) -> error object
function M.new(status, fmt, ...)
  local msg = select("#", ...) > 0 and fmt:format(...) or fmt
  return setmetatable({ status = status, message = msg }, Error)
end

--- errors.raise(status, fmt, ...): raise an error with that exit status.
function M.raise(status, fmt, ...)
  error(M.new(status, fmt, ...), 0)
end

function M.usage(fmt, ...) M.raise(2, fmt, ...) end
function M.config(fmt, ...) M.raise(2, fmt, ...) end
function M.failed(fmt, ...) M.raise(1, fmt, ...) end

--- errors.is(e) -> true when e is a structured dbhost error
function M.is(e) return getmetatable(e) == Error end

--- errors.check(ok, msg, ...) -> ok, ...: like assert, but a config error (exit 2).
-- For the `nil, message, code` convention of the bindings.
function M.check(ok, msg, ...)
  if not ok then M.raise(2, "%s", tostring(msg)) end
  return ok, msg, ...
end

return M
