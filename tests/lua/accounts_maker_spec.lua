-- The example project's accounts repository, tested with a session maker: the
-- code under test opens its own connections and commits for real; after each
-- test the tables are emptied (or, second block, each test gets a fresh clone).
-- Runs from the project's root as written in the README (no --helper needed):
-- the app's modules and migrations/ are found from there.
package.path = "./?.lua;" .. package.path
local fixtures = require "dbhost.fixtures"
local accounts = require "app.accounts"
local fs = require "dbhost.fs"

-- One revision per migration file: the count follows the directory, so a team's
-- next migration does not break this spec.
local function migration_count()
  local n = 0
  for _, name in ipairs(assert(fs.list("migrations"))) do
    if name:match("%.sql$") then n = n + 1 end
  end
  return n
end

-- What a service does: open a connection, work, close it.
local function with_connection(maker, fn)
  local conn = assert(maker())
  local ok, a, b, c = pcall(fn, conn)
  conn:close()
  if not ok then error(a, 0) end
  return a, b, c
end

for _, isolation in ipairs { "truncate", "clone" } do
  describe("accounts (session maker, " .. isolation .. ")", function()
    local maker = fixtures.session_maker { server = "throwaway", isolation = isolation }

    it("commits through its own connection; another connection sees it", function()
      local acct = assert(with_connection(maker, function(conn) return accounts.create_account(conn, "ada@example.com") end))
      assert.are.equal(1, acct.id)
      local found = with_connection(maker, function(conn) return accounts.find_by_email(conn, "ada@example.com") end)
      assert.are.same(acct, found)
    end)

    it("starts empty, and identities restart at 1", function()
      assert.is_nil(with_connection(maker, function(conn) return accounts.find_by_email(conn, "ada@example.com") end))
      local acct = assert(with_connection(maker, function(conn) return accounts.create_account(conn, "bob@example.com") end))
      assert.are.equal(1, acct.id)
    end)

    it("keeps the revisions table", function()
      local n = with_connection(maker, function(conn)
        return assert(conn:exec("SELECT count(*) AS n FROM atlas_schema_revisions.atlas_schema_revisions")).rows[1].n
      end)
      assert.are.equal(tostring(migration_count()), n)
    end)
  end)
end
