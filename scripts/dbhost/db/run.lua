--- dbhost.db.run: run a script's text on a connection.
--
--   local run = require "dbhost.db.run"
--   local ok, msg, code = run.script(conn, text, "schema.sql")   -- statement by statement
--   local ok, msg, code = run.batch(conn, text, "schema.sql")    -- one round trip when it can
--
-- The text is split by dbhost.sql (so an error points at its statement). run.script runs
-- each statement on its own, in autocommit; run.batch sends the whole text as one query
-- (one implicit transaction: a schema of thousands of statements loads in a fraction of
-- the time) when nothing in it controls transactions or must run outside one, and on a
-- failure, which rolls all of it back, runs it again statement by statement to name the
-- statement (and to let through what only autocommit allows, such as a new enum value
-- used by a later statement). A failure is located with dbhost.errors.locate:
-- FILE:LINE:COL, columns counted in characters.
-- Migration directories do not come here: they replay through dbhost.migrate.replay.
local sql = require "dbhost.sql"
local errors = require "dbhost.errors"

local M = {}

local function each(conn, text, name, stmts)
  for _, s in ipairs(stmts) do
    local ok, e, code = conn:exec(s.text)
    if not ok then
      local line, col = errors.locate(text, s, errors.position(e))
      return nil, ("%s:%d:%d: %s (SQLSTATE %s)"):format(name, line, col, errors.message(e), code or "?"), code
    end
  end
  return true
end

--- run.script(conn, text, name) -> true | nil, "name:line:col: message (SQLSTATE x)", code
-- code is the SQLSTATE of a failed statement, or "EFORMAT" when the text cannot be split.
function M.script(conn, text, name)
  local stmts, err = sql.split(text, name)
  if not stmts then return nil, tostring(err), "EFORMAT" end
  return each(conn, text, name, stmts)
end

-- First words of statements that end, open or must stay outside a transaction block, or
-- whose effect would change inside one.
local OUTSIDE = { "BEGIN", "START", "COMMIT", "END", "ROLLBACK", "ABORT", "SAVEPOINT", "RELEASE", "PREPARE",
                  "VACUUM", "CLUSTER", "REINDEX", "CHECKPOINT", "LISTEN", "UNLISTEN", "DISCARD", "DO", "CALL" }
local OUTSIDE_SET = {}
for _, w in ipairs(OUTSIDE) do OUTSIDE_SET[w] = true end

local function batchable(stmts)
  for _, s in ipairs(stmts) do
    -- leading comments are part of the text: skip them to find the first word
    local t = s.text:gsub("^%s*", "")
    while t:find("^%-%-") or t:find("^/%*") do
      if t:find("^%-%-") then t = t:gsub("^[^\n]*\n?%s*", "", 1) else t = t:gsub("^/%*.-%*/%s*", "", 1) end
    end
    local w = (t:match("^(%a+)") or ""):upper()
    if OUTSIDE_SET[w] then return false end
    local u = t:sub(1, 200):upper()
    if u:find("CONCURRENTLY", 1, true) or u:find("^CREATE%s+DATABASE") or u:find("^DROP%s+DATABASE")
        or u:find("^ALTER%s+SYSTEM") or u:find("TABLESPACE", 1, true) or u:find("^SET%s+LOCAL")
        or u:find("^SET%s+TRANSACTION") or u:find("^SET%s+SESSION%s+CHARACTERISTICS") then
      return false
    end
  end
  return true
end

--- run.batch(conn, text, name) -> as run.script, in one round trip when the text allows
function M.batch(conn, text, name)
  local stmts, err = sql.split(text, name)
  if not stmts then return nil, tostring(err), "EFORMAT" end
  if #stmts > 1 and not stmts.delimiter and batchable(stmts) then
    if conn:exec(text) then return true end
    -- rolled back as a whole: run it again one statement at a time, to locate the failure
  end
  return each(conn, text, name, stmts)
end

return M
