-- The example project's accounts repository, tested in session mode: every test
-- runs in a transaction that is rolled back afterwards, on a real PostgreSQL
-- started for the run with the schema built from migrations/.
-- Runs from the project's root as written in the README (no --helper needed):
-- the app's modules and migrations/ are found from there.
package.path = "./?.lua;" .. package.path
local fixtures = require "dbhost.fixtures"
local accounts = require "app.accounts"

describe("accounts (session)", function()
  -- server = "throwaway": this suite starts its own server even when ctest names one
  -- (DBHOST_TEST_DATABASE_URL is only guaranteed for suites named *pg*)
  local db = fixtures.session { server = "throwaway" }

  it("creates an account and finds it by email", function()
    local acct = assert(accounts.create_account(db, "  Ada@Example.com "))
    assert.are.equal("ada@example.com", acct.email)
    assert.are.equal("ada", acct.display_name)
    local found = accounts.find_by_email(db, "ADA@example.com")
    assert.are.same(acct, found)
  end)

  it("does not see the row the previous test wrote (rolled back)", function()
    assert.is_nil(accounts.find_by_email(db, "ada@example.com"))
    local res = assert(db:exec("SELECT count(*) AS n FROM accounts"))
    assert.are.equal("0", res.rows[1].n)
  end)

  it("refuses a second account for the same email and keeps the first", function()
    assert(accounts.create_account(db, "bob@example.com"))
    local acct, msg, code = accounts.create_account(db, "BOB@example.com")
    assert.is_nil(acct)
    assert.are.equal("exists", code)
    assert.matches("already exists", msg)
    -- the failed transaction of the code under test did not break the session
    assert.is_not_nil(accounts.find_by_email(db, "bob@example.com"))
  end)

  it("sees what the test inserted itself", function()
    assert(db:exec("INSERT INTO accounts (email, display_name) VALUES ('eve@example.com', 'Eve')"))
    local acct = accounts.find_by_email(db, "eve@example.com")
    assert.are.equal("Eve", acct.display_name)
  end)

  it("rejects an address without @", function()
    local acct, _, code = accounts.create_account(db, "nobody")
    assert.is_nil(acct)
    assert.are.equal("invalid", code)
  end)
end)
