--- app.accounts: the example project's account repository (see migrations/).
--
--   local accounts = require "app.accounts"
--   local acct, err, code = accounts.create_account(db, "ada@example.com")
--   local acct = accounts.find_by_email(db, "ADA@example.com")
--
-- db is a dbhost.pg connection (in tests: a dbhost.fixtures session, or a
-- connection from a session maker). Emails are stored trimmed and lower-cased;
-- an account is { id = integer, email =, display_name =, status = }.
local M = {}

local COLUMNS = "id, email, display_name, status"

local function to_account(row)
  if not row then return nil end
  return { id = math.tointeger(tonumber(row.id)), email = row.email,
           display_name = row.display_name, status = row.status }
end

local function normalize(email)
  return (email:gsub("^%s+", ""):gsub("%s+$", ""):lower())
end

--- accounts.create_account(db, email) -> account | nil, message, code
-- code: "exists" (the email is taken), "invalid" (not an email), else a SQLSTATE.
-- Runs in its own transaction: a real service would write more than one row here
-- (an audit entry, a welcome order), all or nothing.
function M.create_account(db, email)
  local addr = normalize(email)
  assert(db:exec("BEGIN"))
  local res, err = db:exec(("INSERT INTO accounts (email, display_name) VALUES ($1, $2) RETURNING %s"):format(COLUMNS),
    addr, addr:match("^([^@]*)") or "")
  if not res then
    db:exec("ROLLBACK")
    if err.sqlstate == "23505" then return nil, ("an account for %s already exists"):format(addr), "exists" end
    if err.sqlstate == "23514" then return nil, ("%q is not an email address"):format(email), "invalid" end
    return nil, err.message, err.sqlstate
  end
  assert(db:exec("COMMIT"))
  return to_account(res.rows[1])
end

--- accounts.find_by_email(db, email) -> account | nil
function M.find_by_email(db, email)
  local res = assert(db:exec(("SELECT %s FROM accounts WHERE email = $1"):format(COLUMNS), normalize(email)))
  return to_account(res.rows[1])
end

return M
