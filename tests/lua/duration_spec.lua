-- duration_spec.lua: dbhost.duration reads the durations flags take (--lock-timeout 10s).
local duration = require "dbhost.duration"

describe("dbhost.duration", function()
  it("reads a number with a unit as seconds", function()
    assert.are.equal(10, duration.parse("10s"))
    assert.are.equal(0.5, duration.parse("500ms"))
    assert.are.equal(120, duration.parse("2m"))
    assert.are.equal(120, duration.parse("2min"))
    assert.are.equal(3600, duration.parse("1h"))
    assert.are.equal(1.5, duration.parse(" 1.5 "))
    assert.are.equal(7, duration.parse(7))
  end)

  it("returns nil for what is not a duration", function()
    assert.is_nil(duration.parse("soon"))
    assert.is_nil(duration.parse("10d"))
    assert.is_nil(duration.parse("-1s"))
    assert.is_nil(duration.parse(""))
  end)

  it("is what the executor used to offer", function()
    assert.are.equal(duration.parse, require("dbhost.migrate.executor").parse_duration)
  end)
end)
