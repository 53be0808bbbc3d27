--- dbhost.migrate.failure: a failed migration statement, as the user reads it.
--
--   local failure = require "dbhost.migrate.failure"
--   local text, line, col = failure.describe(f)  -- f = { file=, stmt=, err= } from the executor
--   error(failure.error(f, secrets), 0)           -- the command-ending error (exit 1)
--
-- Used by apply, the one replay (dbhost.migrate.replay), the linter's trace and the
-- Lambda handler; the location comes from errors.locate.
local errors = require "dbhost.errors"
local dburl = require "dbhost.db.url"

local M = {}

-- What dbhost adds to a server error it can explain, by SQLSTATE.
M.HINTS = {
  ["53200"] = "the server's lock table is full: one transaction takes a lock on every object it creates "
    .. "or alters, and a migration over many tables needs more than the default (64 per connection); "
    .. "raise max_locks_per_transaction in postgresql.conf (e.g. 1024) and restart the server, or split "
    .. "the migration into smaller files",
}

--- failure.describe(f) -> text, line, column
-- f = { file=, stmt=, err= } from the executor; the location comes from
-- errors.locate, the one place that turns a statement error into file:line:col.
-- A server error (one with a SQLSTATE) shows its detail and hint, and dbhost's own hint.
function M.describe(f)
  local err, stmt = f.err, f.stmt
  local line, col = errors.locate(f.file:text(), stmt, errors.position(err))
  local lines = { ("migration %s failed at %s:%d:%d"):format(f.file.name, f.file.path, line, col) }
  lines[#lines + 1] = "  statement: " .. stmt.text:gsub("\n", "\n             ")
  local code = errors.sqlstate(err)
  if code then
    lines[#lines + 1] = ("  ERROR: %s (SQLSTATE %s)"):format(errors.message(err), code)
    local detail, hint = errors.field(err, "detail"), errors.field(err, "hint")
    if detail then lines[#lines + 1] = "  DETAIL: " .. detail end
    if hint then lines[#lines + 1] = "  HINT: " .. hint end
    if M.HINTS[code] then lines[#lines + 1] = "  dbhost: " .. M.HINTS[code] end
  else
    lines[#lines + 1] = "  ERROR: " .. errors.message(err)
  end
  return table.concat(lines, "\n"), line, col
end

--- failure.error(f [, secrets]) -> the command-ending error (exit 1) for a failed
-- migration; the server's words may quote a password (a role, a dblink call): every
-- text in `secrets` (db.url.secrets of the URL) is masked
function M.error(f, secrets)
  local text, line, col = M.describe(f)
  if secrets then text = dburl.scrub(text, secrets) end
  return errors.at(1, { code = errors.sqlstate(f.err), file = f.file.path, line = line, column = col }, "%s", text)
end

return M
