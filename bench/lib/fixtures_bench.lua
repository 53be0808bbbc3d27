-- bench/lib/fixtures_bench.lua MODE [N]: measurements for bench/fixtures.sh (run inside dbhost).
--   ready        start one throwaway server, print its ready time (seconds)
--   pertest DIR [RUNS]  per-test costs on a throwaway server, template from the migrations in
--                DIR; prints "name ours floor" lines (seconds per test); each figure the median
--                of RUNS timings (default 7 for session, 5 for the others)
local cluster = require "dbhost.fixtures.cluster"
local session = require "dbhost.fixtures.session"
local maker = require "dbhost.fixtures.maker"
local templates = require "dbhost.fixtures.template"
local proc = require "dbhost.proc"

local mode = arg[1]
if mode == "ready" then
  local t0 = proc.now()
  local c = cluster.open { server = "throwaway" }
  local ready = proc.now() - t0
  io.write(("%.4f %s\n"):format(ready, c.srv.warm and "warm" or "cold"))
  c:close()
  return
end

local dir = assert(arg[2], "pertest needs a migration directory")
local n_runs = tonumber(arg[3])
local c = cluster.open { server = "throwaway" }
local template = templates.of(c, { migrations = dir })

-- median of `runs` timings of fn (each timing covers `reps` calls), per call
local function median(runs, reps, fn, prepare)
  local times = {}
  for r = 1, runs do
    local total = 0
    for _ = 1, reps do
      if prepare then prepare() end
      local t0 = proc.now()
      fn()
      total = total + proc.now() - t0
    end
    times[r] = total / reps
  end
  table.sort(times)
  return times[(runs + 1) // 2]
end

local function line(name, ours, floor)
  io.write(("%s %.6f %.6f\n"):format(name, ours, floor))
end

-- 1. session mode: savepoint per test vs one BEGIN + ROLLBACK round trip each
do
  local name = c:new_name("b")
  c:clone(template, name)
  local conn = c:connect(name)
  local s = session.new(conn)
  s:open_block()
  local ours = median(n_runs or 7, 2000, function() s:begin_test() s:end_test() end)
  s:close_block()
  local floor = median(n_runs or 7, 2000, function() conn:exec("BEGIN") conn:exec("ROLLBACK") end)
  line("session", ours, floor)
  conn:close()
end

-- 2. session maker, truncate: end_test + begin_test vs the TRUNCATE statement alone
do
  local m = maker.new(c, template, { isolation = "truncate" })
  local writer = c:connect(m.dbname)
  local tables = assert(writer:exec([[SELECT format('%I', relname) AS t FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE n.nspname = 'public' AND relkind = 'r' ORDER BY 1]])).rows
  local fill = {}
  for _, r in ipairs(tables) do fill[#fill + 1] = ("INSERT INTO %s (payload) VALUES ('x')"):format(r.t) end
  local fill_sql = table.concat(fill, ";")
  local function dirty() assert(writer:exec(fill_sql)) end
  m:begin_test()
  local ours = median(n_runs or 5, 10, function() m:end_test() m:begin_test() end, dirty)
  local floor = median(n_runs or 5, 10, function() assert(writer:exec(m.truncate)) end, dirty)
  line("truncate" .. #tables, ours, floor)
  m:end_test()
  writer:close()
  m:close()
end

-- 3. session maker, clone: a fresh database per test (create + lazy drop) vs CREATE + DROP
do
  local m = maker.new(c, template, { isolation = "clone" })
  local ours = median(n_runs or 5, 10, function()
    m:begin_test()
    local conn = assert(m())
    conn:exec("SELECT 1")
    conn:close()
    m:end_test()
  end)
  m:close()
  c:flush_drops(true)
  local n = 0
  local floor = median(n_runs or 5, 10, function()
    n = n + 1
    local name = "bench_floor_" .. n
    assert(c.admin:exec(("CREATE DATABASE %s TEMPLATE %s"):format(name, template)))
    assert(c.admin:exec("DROP DATABASE " .. name))
  end)
  line("clone", ours, floor)
  -- the same with tests that take 50 ms themselves: what the maker adds to each (the next
  -- database is made while the test runs, the used one dropped in the background)
  m = maker.new(c, template, { isolation = "clone" })
  local busy = median(n_runs or 5, 10, function()
    m:begin_test()
    local conn = assert(m())
    conn:exec("SELECT 1")
    proc.sleep(0.05)
    conn:close()
    m:end_test()
  end) - 0.05
  m:close()
  c:flush_drops(true)
  line("clone+50ms", busy, floor)
end
c:close()
