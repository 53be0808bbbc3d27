--- dbhost.db.run: run a script's text on a connection, statement by statement.
--
--   local run = require "dbhost.db.run"
--   local ok, msg, code = run.script(conn, text, "schema.sql")
--
-- The text is split by dbhost.sql (so an error points at its statement) and
-- each statement runs on its own, in autocommit. A failure is located with
-- dbhost.errors.locate: FILE:LINE:COL, columns counted in characters.
-- Migration directories do not come here: they replay through dbhost.migrate.replay.
local sql = require "dbhost.sql"
local errors = require "dbhost.errors"

local M = {}

--- run.script(conn, text, name) -> true | nil, "name:line:col: message (SQLSTATE x)", code
-- code is the SQLSTATE of a failed statement, or "EFORMAT" when the text cannot be split.
function M.script(conn, text, name)
  local stmts, err = sql.split(text, name)
  if not stmts then return nil, tostring(err), "EFORMAT" end
  for _, s in ipairs(stmts) do
    local ok, e, code = conn:exec(s.text)
    if not ok then
      local line, col = errors.locate(text, s, errors.position(e))
      return nil, ("%s:%d:%d: %s (SQLSTATE %s)"):format(name, line, col, errors.message(e), code or "?"), code
    end
  end
  return true
end

return M
