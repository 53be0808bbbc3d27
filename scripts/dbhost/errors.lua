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

--- errors.new(status, fmt, ...) -> error object { message=, status= }
-- Every error that ends a command is this one object; `at` adds where it is:
-- code (SQLSTATE, errno name ...), file, line and column.
function M.new(status, fmt, ...)
  local msg = select("#", ...) > 0 and fmt:format(...) or fmt
  return setmetatable({ status = status, message = msg }, Error)
end

--- errors.at(status, where, fmt, ...) -> error object located at where = { code=, file=, line=, column= }
function M.at(status, where, fmt, ...)
  local e = M.new(status, fmt, ...)
  e.code, e.file, e.line, e.column = where.code, where.file, where.line, where.column
  return e
end

--- errors.raise_at(status, where, fmt, ...): raise errors.at(...)
function M.raise_at(status, where, fmt, ...)
  error(M.at(status, where, fmt, ...), 0)
end

--- errors.wrap(e [, status]) -> the error object for any raised value (a plain
-- string or a binding's error table becomes one with status 1)
function M.wrap(e, status)
  if M.is(e) then return e end
  if type(e) == "table" and e.message then
    return setmetatable({ status = status or 1, message = tostring(e.message), code = e.sqlstate or e.code }, Error)
  end
  return setmetatable({ status = status or 1, message = tostring(e) }, Error)
end

--- errors.message(err) -> text: the message of any failure value (a message
-- string, a pg error's `message` field, an error object), without detail or hint
function M.message(err)
  if type(err) == "table" and err.message ~= nil then return tostring(err.message) end
  return tostring(err)
end

--- errors.field(err, name) -> a field of a failure value, or nil: pg errors keep
-- sqlstate, detail, hint, position, context ... as fields; a message string has none
function M.field(err, name)
  if type(err) == "table" then return err[name] end
  return nil
end

--- errors.sqlstate(err) -> the code of a failure value (a pg error's SQLSTATE, an error
-- object's code) or nil
function M.sqlstate(err) return M.field(err, "sqlstate") or M.field(err, "code") end

--- errors.position(err) -> the 1-based character in its statement a pg error points at, or nil
function M.position(err) return M.field(err, "position") end

--- errors.kind(err) -> the `kind` of a raised table ("fatal": dbhost.fixtures' errors
-- that end a test run), or nil
function M.kind(err) return M.field(err, "kind") end

--- errors.scrubbed(e, scrub) -> e with its message passed through scrub(text)
-- (a copy for tables; a string is scrubbed as a whole)
function M.scrubbed(e, scrub)
  if type(e) == "string" then return scrub(e) end
  if type(e) == "table" and type(e.message) == "string" then
    local copy = setmetatable({}, getmetatable(e))
    for k, v in pairs(e) do copy[k] = v end
    copy.message = scrub(e.message)
    return copy
  end
  return e
end

--- errors.document(e) -> { error = { message=, code=, file=, line=, column= } }
-- The one JSON shape of an error, for every command's --format json; absent
-- fields are null, so the keys are always there.
function M.document(e)
  local json = require "dbhost.json"
  e = M.wrap(e)
  -- a plain Lua error arrives with the driver's traceback: the message is its first part
  local message = e.message:gsub("\nstack traceback:.*$", "")
  local function v(x) if x == nil then return json.null end return x end
  return { error = json.object { message = message, code = v(e.code), file = v(e.file),
                                 line = v(e.line), column = v(e.column) } }
end

--- errors.locate(text, stmt [, position]) -> line, column
-- Where a statement error is in its file: text is the whole file, stmt a
-- statement of sql.split(text) ({ pos = 0-based byte offset, text = ... }) and
-- position the server's 1-based character offset into stmt.text (nil: the
-- statement's start). Lines and columns count from 1; columns count UTF-8
-- characters, as editors and PostgreSQL do (bytes when the text is not UTF-8).
function M.locate(text, stmt, position)
  local off
  if position and position > 1 then
    off = utf8.offset(stmt.text, position) or (#stmt.text + 1)
  end
  return M.locate_byte(text, stmt, off)
end

-- From the statement's own line and byte column (sql.split gives both): only the
-- statement and the part of its first line before it are read, not the file up to it,
-- so locating every statement of a file stays linear (the linter does). nil when the
-- statement lacks them or the text is not valid UTF-8 (then the file is counted).
local function locate_in_statement(text, stmt, off)
  if type(stmt.line) ~= "number" or type(stmt.col) ~= "number" or type(stmt.pos) ~= "number" then return nil end
  local t = stmt.text
  local b = 1                                  -- 1-based byte in t
  if off and off > 1 then b = math.min(off, #t + 1) end
  if stmt.pos + b - 1 > #text then return nil end
  local line, ls = stmt.line, nil
  if b > 1 then
    for nl in t:sub(1, b - 1):gmatch("()\n") do line, ls = line + 1, nl + 1 end
  end
  if ls then
    local n = utf8.len(t, ls, b - 1)
    return n and line, n and n + 1
  end
  local start = stmt.pos + 1                   -- 1-based index of the statement in text
  local line_start = start - (stmt.col - 1)
  if line_start < 1 then return nil end
  local before = utf8.len(text, line_start, start - 1)
  local within = utf8.len(t, 1, b - 1)
  if not before or not within then return nil end
  return line, before + within + 1
end

--- errors.locate_byte(text, stmt [, off]) -> line, column: as errors.locate, for a
-- 1-based BYTE offset into stmt.text (what a parser that counts bytes reports)
function M.locate_byte(text, stmt, off)
  local fl, fc = locate_in_statement(text, stmt, off)
  if fl then return fl, fc end
  local byte = stmt.pos or 0 -- 0-based offset of the character in text
  if off and off > 1 then
    if off > #stmt.text + 1 then off = #stmt.text + 1 end
    byte = byte + off - 1
  end
  if byte > #text then byte = #text end
  local line, line_start = 1, 1
  for nl in text:sub(1, byte):gmatch("()\n") do
    line, line_start = line + 1, nl + 1
  end
  local col = utf8.len(text, line_start, byte) or (byte - line_start + 1)
  return line, col + 1
end

--- errors.raise(status, fmt, ...): raise an error with that exit status.
function M.raise(status, fmt, ...)
  error(M.new(status, fmt, ...), 0)
end

--- errors.usage / config / failed (fmt, ...): raise; the code says which ("EUSAGE",
-- "ECONFIG", "EFAILED") in the JSON error document.
function M.usage(fmt, ...) M.raise_at(2, { code = "EUSAGE" }, fmt, ...) end
function M.config(fmt, ...) M.raise_at(2, { code = "ECONFIG" }, fmt, ...) end
function M.failed(fmt, ...) M.raise_at(1, { code = "EFAILED" }, fmt, ...) end

--- errors.is(e) -> true when e is a structured dbhost error
function M.is(e) return getmetatable(e) == Error end

--- errors.check(ok, msg, ...) -> ok, ...: like assert, but a config error (exit 2).
-- For the `nil, message, code` convention of the bindings.
function M.check(ok, msg, ...)
  if not ok then M.raise(2, "%s", tostring(msg)) end
  return ok, msg, ...
end

return M
