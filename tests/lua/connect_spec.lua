-- connect_spec.lua: dbhost.db.connect remembers the password of every URL it opens,
-- and the driver (dbhost.main.scrub_error) masks them in whatever ends a command,
-- whichever command it is: a structured error keeps its status and code, a plain
-- Lua error keeps its traceback.
local connect = require "dbhost.db.connect"
local errors = require "dbhost.errors"
local main = require "dbhost.main"

describe("dbhost.db.connect", function()
  it("remembers the password of a URL it opens, even when the connection fails", function()
    local conn, msg = connect.open("postgresql://u:Open-Pw-c1@/db?host=/nonexistent-dbhost-socket-dir", { timeout = 1 })
    assert.is_nil(conn)
    assert.falsy(msg:find("Open-Pw-c1", 1, true))
    assert.are.equal("said xxxxx here", connect.scrub("said Open-Pw-c1 here"))
  end)

  it("remembers keyword strings and Atlas's search_path URLs too", function()
    connect.register("host=/nowhere password=Kw-Pw-c2 user=u")
    connect.register("postgres://u:Sp-Pw-c3@/db?search_path=public")
    assert.are.equal("xxxxx xxxxx", connect.scrub("Kw-Pw-c2 Sp-Pw-c3"))
  end)
end)

describe("dbhost.main.scrub_error", function()
  it("masks remembered passwords in a command-ending error, keeping status and code", function()
    connect.register("postgresql://u:Err-Pw-c4@/db")
    local e = main.scrub_error(errors.at(1, { code = "P0001" }, "server: logged in with %s", "Err-Pw-c4"))
    assert.is_true(errors.is(e))
    assert.are.equal("server: logged in with xxxxx", e.message)
    assert.are.equal(1, e.status)
    assert.are.equal("P0001", e.code)
  end)

  it("masks them in a plain Lua error, which keeps its traceback", function()
    connect.register("postgresql://u:Plain-Pw-c5@/db")
    local text = main.scrub_error("boom Plain-Pw-c5")
    assert.falsy(text:find("Plain-Pw-c5", 1, true))
    assert.truthy(text:find("^boom xxxxx\nstack traceback:"))
  end)

  it("the JSON error document carries the first line only", function()
    local doc = errors.document(main.scrub_error("boom"))
    assert.are.equal("boom", doc.error.message)
  end)
end)
