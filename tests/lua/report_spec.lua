-- report_spec.lua: dbhost.report's steps: a step after a failed one is skipped unless it
-- is independent of the earlier ones.
local report = require "dbhost.report"

describe("report steps", function()
  it("skips a step after a failed one and names the failed step", function()
    local r = report.new("t")
    r:step("first", function(step) step:fail("broken") end)
    local ran = false
    r:step("second", function() ran = true end)
    assert.is_false(ran)
    local text = r:render("text")
    assert.truthy(text:find("FAILED  first", 1, true))
    assert.truthy(text:find("skipped second (step 1 failed)", 1, true))
    assert.equals(1, r:exit_status())
  end)

  it("runs an independent step after a failed one", function()
    local r = report.new("t")
    r:step("first", function(step) step:fail("broken") end)
    local ran = false
    r:step("lint", function(step) ran = true step:note("clean") end, { independent = true })
    assert.is_true(ran)
    local text = r:render("text")
    assert.truthy(text:find("ok      lint", 1, true))
    assert.equals(1, r:exit_status())
  end)
end)
