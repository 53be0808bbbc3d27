-- migrate_failure_hint_spec.lua: a failed migration statement as the user reads it
-- (dbhost.migrate.failure.describe), with dbhost's own hint for server errors it can
-- explain: "out of shared memory" (53200) names max_locks_per_transaction.
local migration_failure = require "dbhost.migrate.failure"

local function failure(sqlstate, message)
  return {
    file = { name = "20260101000000_init.sql", path = "migrations/20260101000000_init.sql",
             text = function() return string.rep("\n", 30993) .. "CREATE TABLE t2000 (id integer);\n" end },
    stmt = { text = "CREATE TABLE t2000 (id integer)", line = 30994, col = 1, pos = 30993 },
    err = { message = message, sqlstate = sqlstate, hint = "You might need to increase max_locks_per_transaction." },
  }
end

describe("failure.describe", function()
  it("adds a hint naming max_locks_per_transaction to a 53200 error", function()
    local text, line = migration_failure.describe(failure("53200", "out of shared memory"))
    assert.equals(30994, line)
    assert.truthy(text:find("migrations/20260101000000_init.sql:30994:1", 1, true))
    assert.truthy(text:find("ERROR: out of shared memory (SQLSTATE 53200)", 1, true))
    assert.truthy(text:find("dbhost: the server's lock table is full", 1, true))
    assert.truthy(text:find("raise max_locks_per_transaction in postgresql.conf", 1, true))
  end)

  it("adds nothing to errors it has no hint for", function()
    local text = migration_failure.describe(failure("42P01", "relation \"x\" does not exist"))
    assert.falsy(text:find("dbhost:", 1, true))
  end)
end)
