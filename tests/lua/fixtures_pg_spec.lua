-- dbhost.fixtures on an existing server (DBHOST_TEST_DATABASE_URL): the template is
-- cached across runs and rebuilt when migrations change; runs never collide; a dead
-- run's databases are dropped by the next one.
local helper = require "helper"
local cluster = require "dbhost.fixtures.cluster"
local template = require "dbhost.fixtures.template"
local fs = require "dbhost.fs"
local proc = require "dbhost.proc"

local url = os.getenv("DBHOST_TEST_DATABASE_URL")

local function exists(c, name)
  return assert(c.admin:exec("SELECT 1 FROM pg_database WHERE datname = $1", name)).ntuples == 1
end

describe("fixtures on an existing server", function()
  local dir
  setup(function()
    assert(url and url ~= "", "DBHOST_TEST_DATABASE_URL is not set: run this spec through ctest")
    dir = ("/tmp/dbhost-fxpg-%d-%d"):format(proc.pid(), math.random(1, 1e9))
    assert(fs.mkdir(dir, 493))
    for _, n in ipairs(fs.list(helper.source_dir .. "/migrations")) do
      assert(fs.write(dir .. "/" .. n, assert(fs.read(helper.source_dir .. "/migrations/" .. n))))
    end
  end)
  teardown(function() if dir then fs.rmtree(dir) end end)

  it("reuses the template across runs and rebuilds it when the migrations change", function()
    local a = cluster.open { server = "url", url = url }
    local t1 = template.of(a, { migrations = dir })
    assert.matches("^dbhost_tpl_%x+$", t1)
    local oid = a.admin:exec("SELECT oid FROM pg_database WHERE datname = $1", t1).rows[1].oid
    a:close()
    local b = cluster.open { server = "url", url = url }
    assert.are.equal(t1, template.of(b, { migrations = dir }))
    assert.are.equal(oid, b.admin:exec("SELECT oid FROM pg_database WHERE datname = $1", t1).rows[1].oid)
    assert(fs.write(dir .. "/20260301000000_more.sql", "CREATE TABLE more_things (id int);\n"))
    assert.are.equal(0, assert(proc.run { argv = { helper.dbhost, "migrate", "hash", "--dir", dir } }).status)
    b:close()
    b = cluster.open { server = "url", url = url } -- a new run (a cluster caches its templates)
    local t2 = template.of(b, { migrations = dir })
    assert.are_not.equal(t1, t2)
    local name, curl = b:clone(t2)
    local pg = require "dbhost.pg"
    local conn = assert(pg.connect(curl))
    assert(conn:exec("SELECT * FROM more_things"))
    conn:close()
    b:close()
    -- close dropped the run's databases, not the templates
    local c = cluster.open { server = "url", url = url }
    assert.is_false(exists(c, name))
    assert.is_true(exists(c, t2))
    c:close()
  end)

  it("two runs at once get different databases; a dead run's are dropped by the next", function()
    local a = cluster.open { server = "url", url = url }
    local b = cluster.open { server = "url", url = url }
    local t = template.of(a, { migrations = dir })
    local na = a:clone(t)
    local nb = b:clone(t)
    assert.are_not.equal(na, nb)
    -- a dies without cleaning up: its connection (and run lock) goes away
    a.admin:close()
    a.admin, a.closed = nil, true
    for _ = 1, 100 do -- the backend releases the lock when it exits
      local r = b.admin:exec("SELECT count(*) AS n FROM pg_locks WHERE locktype = 'advisory' AND objid = $1", a.run)
      if r.rows[1].n == "0" then break end
      proc.sleep(0.02)
    end
    assert.are.equal(1, b:sweep())
    assert.is_false(exists(b, na))
    assert.is_true(exists(b, nb))
    b:close()
  end)
end)
