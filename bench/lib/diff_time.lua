-- bench/lib/diff_time.lua FROM_URL TO_URL: time inspect (both, at once, as `schema diff`
-- does) and plan, print "inspect plan statements bytes".
local pg = require "dbhost.pg"
local proc = require "dbhost.proc"
local inspect = require "dbhost.schema.inspect"
local diff = require "dbhost.schema.diff"
local t0 = proc.now()
local a = assert(pg.connect(arg[1]))
local b = assert(pg.connect(arg[2]))
local r = inspect.inspect_many {
  function() return assert(inspect.inspect(a)) end,
  function() return assert(inspect.inspect(b)) end,
}
assert(r[1][1], r[1][2])
assert(r[2][1], r[2][2])
local ma, mb = r[1][2], r[2][2]
local t1 = proc.now()
local plan = assert(diff.plan(ma, mb))
local text = diff.render(plan)
local t2 = proc.now()
print(("%.3f %.3f %d %d"):format(t1 - t0, t2 - t1, #plan.statements, #text))
