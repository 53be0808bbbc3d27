-- dbhost.fixtures: isolation both ways, savepoint emulation, leaks, the session maker,
-- and whole busted runs in subprocesses (failing migration, no binaries, cleanup at
-- exit, a crashed run cleaned by the next one).
local helper = require "helper"
local fixtures = require "dbhost.fixtures"
local session_mod = require "dbhost.fixtures.session"
local maker_mod = require "dbhost.fixtures.maker"
local fs = require "dbhost.fs"
local proc = require "dbhost.proc"

local src = helper.source_dir
local OPTS = { server = "throwaway", migrations = src .. "/migrations" }

local function count(db, sql)
  return tonumber(assert(db:exec(sql)).rows[1].n)
end

describe("fixtures.session", function()
  local db = fixtures.session(OPTS)

  setup(function()
    -- written in setup: lives in the describe block's transaction, seen by every test
    assert(db:exec("INSERT INTO accounts (email) VALUES ('setup@example.com')"))
  end)

  it("writes a row and commits through the session", function()
    assert.are.equal("BEGIN", assert(db:exec("BEGIN")).command)
    assert.are.equal("intrans", db:transaction_status())
    assert(db:exec("INSERT INTO accounts (email) VALUES ('one@example.com')"))
    assert.are.equal("COMMIT", assert(db:exec("COMMIT")).command)
    assert.are.equal("idle", db:transaction_status())
    assert.are.equal(2, count(db, "SELECT count(*) AS n FROM accounts"))
  end)

  it("no longer sees the committed row of the previous test, but sees setup's", function()
    assert.are.equal(0, count(db, "SELECT count(*) AS n FROM accounts WHERE email = 'one@example.com'"))
    assert.are.equal(1, count(db, "SELECT count(*) AS n FROM accounts WHERE email = 'setup@example.com'"))
  end)

  it("ROLLBACK by the code under test undoes only its own transaction", function()
    assert(db:exec("INSERT INTO accounts (email) VALUES ('kept@example.com')"))
    assert(db:exec("START TRANSACTION ISOLATION LEVEL SERIALIZABLE"))
    assert(db:exec("INSERT INTO accounts (email) VALUES ('undone@example.com')"))
    assert.are.equal("ROLLBACK", assert(db:exec("rollback")).command)
    assert.are.equal(1, count(db, "SELECT count(*) AS n FROM accounts WHERE email = 'kept@example.com'"))
    assert.are.equal(0, count(db, "SELECT count(*) AS n FROM accounts WHERE email = 'undone@example.com'"))
  end)

  it("COMMIT of a failed transaction rolls it back, as PostgreSQL does", function()
    assert(db:exec("BEGIN"))
    assert(db:exec("INSERT INTO accounts (email) VALUES ('x@example.com')"))
    assert.is_nil(db:exec("INSERT INTO accounts (email) VALUES ('x@example.com')"))
    assert.are.equal("ROLLBACK", assert(db:exec("COMMIT")).command)
    assert.are.equal(0, count(db, "SELECT count(*) AS n FROM accounts WHERE email = 'x@example.com'"))
  end)

  it("a failed statement outside BEGIN undoes only itself (autocommit)", function()
    assert(db:exec("INSERT INTO accounts (email) VALUES ('a@example.com')"))
    local res, err = db:exec("INSERT INTO accounts (email) VALUES ('a@example.com')")
    assert.is_nil(res)
    assert.are.equal("23505", err.sqlstate)
    assert.are.equal(1, count(db, "SELECT count(*) AS n FROM accounts WHERE email = 'a@example.com'"))
  end)

  it("runs a multi-statement string holding BEGIN and COMMIT", function()
    local res = assert(db:exec("BEGIN; INSERT INTO accounts (email) VALUES ('m@example.com'); COMMIT"))
    assert.are.equal("COMMIT", res.command)
    assert.are.equal(1, count(db, "SELECT count(*) AS n FROM accounts WHERE email = 'm@example.com'"))
    assert.are.equal("idle", db:transaction_status())
  end)

  it("identities keep counting inside a session (rolled-back sequences do not restart)", function()
    assert.is_true(count(db, "SELECT nextval(pg_get_serial_sequence('accounts', 'id')) AS n") >= 1)
  end)
end)

describe("session leak detection (low level)", function()
  local c, template, conn, s
  setup(function()
    c, template = fixtures.cluster(OPTS)
    local name = c:new_name("leak")
    c:clone(template, name)
    conn = c:connect(name)
    s = session_mod.new(conn)
  end)
  teardown(function() s:close_block() conn:close() end)

  it("reports a transaction left open and still rolls it back", function()
    s:begin_test()
    assert(s.db:exec("BEGIN"))
    assert(s.db:exec("INSERT INTO accounts (email) VALUES ('leak@example.com')"))
    local leaks = s:end_test()
    assert.are.equal(1, #leaks)
    assert.matches("left a transaction open", leaks[1])
    s:begin_test()
    assert.are.equal(0, count(s.db, "SELECT count(*) AS n FROM accounts"))
    assert.is_nil(s:end_test())
  end)

  it("recognises transaction-control statements", function()
    local v = session_mod.control_verb
    assert.are.equal("begin", v("  -- c\n BEGIN WORK"))
    assert.are.equal("begin", v("start transaction read only"))
    assert.are.equal("commit", v("END"))
    assert.are.equal("rollback", v("abort;"))
    assert.is_nil(v("ROLLBACK TO SAVEPOINT x"))
    assert.is_nil(v("COMMIT PREPARED 'x'"))
    assert.is_nil(v("SELECT 'begin'"))
  end)
end)

describe("fixtures.session_maker (truncate)", function()
  local maker = fixtures.session_maker(OPTS)

  it("commits for real through its own connections", function()
    local a = assert(maker())
    assert(a:exec("INSERT INTO accounts (email) VALUES ('c1@example.com'), ('c2@example.com')"))
    a:close()
    local b = assert(maker:connect())
    assert.are.equal(2, count(b, "SELECT count(*) AS n FROM accounts"))
    b:close()
  end)

  it("starts with empty tables and identities restarted", function()
    local a = assert(maker())
    assert.are.equal(0, count(a, "SELECT count(*) AS n FROM accounts"))
    local id = assert(a:exec("INSERT INTO accounts (email) VALUES ('z@example.com') RETURNING id AS n")).rows[1].n
    assert.are.equal("1", id)
    assert.are.equal(3, count(a, "SELECT count(*) AS n FROM atlas_schema_revisions.atlas_schema_revisions"))
    a:close()
  end)
end)

describe("session maker leaks (low level)", function()
  it("closes a connection left checked out and says so", function()
    local c, template = fixtures.cluster(OPTS)
    local m = maker_mod.new(c, template, { isolation = "clone" })
    m:begin_test()
    local first = m.url
    local conn = assert(m())
    assert(conn:exec("BEGIN; INSERT INTO accounts (email) VALUES ('open@example.com')"))
    local leaks = m:end_test()
    assert.are.equal(1, #leaks)
    assert.matches("transaction open", leaks[1])
    assert.has_error(function() conn:exec("SELECT 1") end)
    m:begin_test()
    assert.are_not.equal(first, m.url)
    local again = assert(m())
    assert.are.equal(0, count(again, "SELECT count(*) AS n FROM accounts"))
    again:close()
    assert.is_nil(m:end_test())
    m:close()
  end)
end)

describe("session maker, clone isolation in the background", function()
  it("makes the next test's database during the test and drops used ones, all gone at close", function()
    local c, template = fixtures.cluster(OPTS)
    local m = maker_mod.new(c, template, { isolation = "clone" })
    local function dbs()
      local out = {}
      for _, r in ipairs(assert(c.admin:exec("SELECT datname FROM pg_database WHERE datname LIKE $1",
          c:new_name("x"):match("^(.*_)x%d+$") .. "%")).rows) do out[r.datname] = true end
      return out
    end
    m:begin_test()
    local first = m.dbname
    -- the next test's database is on its way while this test runs
    assert.truthy(m.prepared)
    assert.are_not.equal(first, m.prepared)
    local prepared = m.prepared
    local conn = assert(m())
    assert(conn:exec("INSERT INTO accounts (email) VALUES ('a@example.com')"))
    conn:close()
    assert.is_nil(m:end_test())
    m:begin_test()
    assert.are.equal(prepared, m.dbname)
    local again = assert(m())
    assert.are.equal(0, count(again, "SELECT count(*) AS n FROM accounts"))
    again:close()
    assert.is_nil(m:end_test())
    m:close()
    -- the used databases, the one prepared for a test that never came: all dropped
    local left = dbs()
    assert.is_nil(left[first])
    assert.is_nil(left[prepared])
    for name in pairs(left) do assert.is_nil(m.owned and m.owned[name]) end
    assert.is_nil(m.prepared)
  end)
end)

-- ---------------------------------------------------------------- whole runs

local function tmpdir()
  -- tmpfs when there is one: a server's files on a slow disk cost seconds
  local base = fs.stat("/dev/shm") and "/dev/shm" or (os.getenv("TMPDIR") or "/tmp")
  local dir = ("%s/dbhost-fxspec-%d-%d"):format(base, proc.pid(), math.random(1, 1e9))
  assert(fs.mkdir(dir, 493))
  return dir
end

-- Run busted (inside dbhost) on one spec text in a project dir; returns the result.
local function busted_run(project, spec_text, runtime)
  assert(fs.write(project .. "/run_spec.lua", spec_text))
  return assert(proc.run {
    argv = { helper.dbhost, "lua", "/usr/bin/busted", "-o", "plainTerminal", "run_spec.lua" },
    cwd = project, timeout = 120,
    env_add = { DBHOST_RUNTIME_DIR = runtime, LUA_PATH = src .. "/scripts/?.lua;;",
                DBHOST_TEST_DATABASE_URL = false },
  })
end

local function copy_migrations(project)
  assert(fs.mkdir(project .. "/migrations", 493))
  for _, name in ipairs(fs.list(src .. "/migrations")) do
    assert(fs.write(project .. "/migrations/" .. name, assert(fs.read(src .. "/migrations/" .. name))))
  end
end

local function pg_dirs(runtime)
  local list = {}
  for _, n in ipairs(fs.list(runtime) or {}) do
    if n:match("^pg%-") then list[#list + 1] = n end
  end
  return list
end

describe("busted runs", function()
  local root
  setup(function() root = tmpdir() end)
  teardown(function() fs.rmtree(root) end)

  it("stops the server at the end, also when tests fail, and names the leaking test", function()
    local project, runtime = root .. "/p1", root .. "/rt1"
    assert(fs.mkdir(project, 493))
    copy_migrations(project)
    local r = busted_run(project, [[
local fixtures = require "dbhost.fixtures"
describe("suite", function()
  local db = fixtures.session { server = "throwaway" }
  it("fails", function() assert.are.equal(1, 2) end)
  it("leaks a transaction", function() assert(db:exec("BEGIN")) end)
  it("runs after the leak", function()
    assert.are.equal("0", assert(db:exec("SELECT count(*) AS n FROM accounts")).rows[1].n)
  end)
end)
]], runtime)
    local out = r.stdout .. r.stderr
    assert.are_not.equal(0, r.status)
    assert.matches('test "suite leaks a transaction" left a transaction open', out, 1, true)
    assert.matches("2 successes / 1 failure / 1 error", out, 1, true)
    assert.are.same({}, pg_dirs(runtime))
  end)

  it("stops at once on a failing migration, with file, line and message", function()
    local project, runtime = root .. "/p2", root .. "/rt2"
    assert(fs.mkdir(project, 493))
    copy_migrations(project)
    assert(fs.write(project .. "/migrations/20260201000000_broken.sql",
      "-- broken\nCREATE TABLE ok_one (id int);\nALTER TABLE nope\n  ADD COLUMN x int;\n"))
    assert.are.equal(0, assert(proc.run { argv = { helper.dbhost, "migrate", "hash" }, cwd = project }).status)
    local r = busted_run(project, [[
local fixtures = require "dbhost.fixtures"
for i = 1, 3 do
  describe("block " .. i, function()
    fixtures.session { server = "throwaway" }
    it("never runs", function() end)
  end)
end
]], runtime)
    assert.are.equal(1, r.status)
    assert.matches("20260201000000_broken.sql failed at [^\n]*20260201000000_broken.sql:3:1", r.stderr)
    assert.matches('relation "nope" does not exist', r.stderr, 1, true)
    local _, n = r.stderr:gsub("building the test template failed", "")
    assert.are.equal(1, n)
    assert.are.same({}, pg_dirs(runtime))
  end)

  it("says what to install when there are no server binaries", function()
    local project, runtime = root .. "/p3", root .. "/rt3"
    assert(fs.mkdir(project, 493))
    copy_migrations(project)
    local r = busted_run(project, [[
local fixtures = require "dbhost.fixtures"
describe("x", function()
  fixtures.session { server = "throwaway", major = 99 }
  it("never runs", function() end)
end)
]], runtime)
    assert.are.equal(1, r.status)
    assert.matches("PostgreSQL 99 server binaries (postgres, initdb) were not found; run 'dbhost install'", r.stderr, 1, true)
  end)

  it("cleans up after a killed run on the next run", function()
    local project, runtime = root .. "/p4", root .. "/rt4"
    assert(fs.mkdir(project, 493))
    copy_migrations(project)
    assert(fs.write(project .. "/hang_spec.lua", [[
local fixtures = require "dbhost.fixtures"
describe("hang", function()
  local db = fixtures.session { server = "throwaway" }
  it("hangs", function() io.open(os.getenv("MARK"), "w"):close() while true do db:exec("SELECT 1") end end)
end)
]]))
    local mark = root .. "/mark4"
    local p = assert(proc.spawn {
      argv = { helper.dbhost, "lua", "/usr/bin/busted", "hang_spec.lua" }, cwd = project,
      env_add = { DBHOST_RUNTIME_DIR = runtime, LUA_PATH = src .. "/scripts/?.lua;;", MARK = mark,
                  DBHOST_TEST_DATABASE_URL = false },
    })
    for _ = 1, 600 do
      if fs.stat(mark) then break end
      proc.sleep(0.05)
    end
    assert.is_not_nil(fs.stat(mark))
    assert.are.equal(1, #pg_dirs(runtime))
    p:kill("KILL")
    p:wait(10)
    p:close()
    local r = busted_run(project, [[
local fixtures = require "dbhost.fixtures"
describe("next", function()
  local db = fixtures.session { server = "throwaway" }
  it("runs", function() assert(db:exec("SELECT 1")) end)
end)
]], runtime)
    assert.are.equal(0, r.status)
    assert.are.same({}, pg_dirs(runtime))
  end)
end)
