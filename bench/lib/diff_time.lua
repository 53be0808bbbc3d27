-- bench/lib/diff_time.lua FROM_URL TO_URL: time inspect (both) and plan, print "inspect plan statements".
local pg = require "dbhost.pg"
local proc = require "dbhost.proc"
local inspect = require "dbhost.schema.inspect"
local diff = require "dbhost.schema.diff"
local t0 = proc.now()
local a = assert(pg.connect(arg[1]))
local ma = assert(inspect.inspect(a))
local b = assert(pg.connect(arg[2]))
local mb = assert(inspect.inspect(b))
local t1 = proc.now()
local plan = assert(diff.plan(ma, mb))
local text = diff.render(plan)
local t2 = proc.now()
print(("%.3f %.3f %d %d"):format(t1 - t0, t2 - t1, #plan.statements, #text))
