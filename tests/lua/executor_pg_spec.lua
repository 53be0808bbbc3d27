-- dbhost.migrate.executor on a real server: "file" mode sends each file (its
-- statements, its revision row, BEGIN and COMMIT) as one query, one round trip per
-- file, also when locating a failure. The connection is the real one, wrapped to
-- count what goes to the server.
local executor = require "dbhost.migrate.executor"
local migdir = require "dbhost.migrate.dir"
local hash = require "dbhost.hash"
local pg = require "dbhost.pg"
local fs = require "dbhost.fs"
local proc = require "dbhost.proc"

local url = os.getenv("DBHOST_TEST_DATABASE_URL")

-- A proxy that counts the queries sent through exec and exec_all.
local function counting(conn)
  local counts = { exec = 0, exec_all = 0 }
  local proxy = setmetatable({ counts = counts }, { __index = function(_, k)
    local v = conn[k]
    if type(v) ~= "function" then return v end
    return function(_, ...)
      if counts[k] then counts[k] = counts[k] + 1 end
      return v(conn, ...)
    end
  end })
  return proxy
end

describe("executor, file mode", function()
  local dir, admin, db, conn
  before_each(function()
    assert(url and url ~= "", "DBHOST_TEST_DATABASE_URL is not set: run this spec through ctest")
    dir = ("/tmp/dbhost-expg-%d-%d"):format(proc.pid(), math.random(1, 1e9))
    assert(fs.mkdir(dir, 493))
    admin = assert(pg.connect(url))
    db = ("executor_%d_%d"):format(proc.pid(), math.random(1, 1e9))
    assert(admin:exec("CREATE DATABASE " .. db))
    conn = assert(pg.connect((url:gsub("/postgres%?", "/" .. db .. "?"))))
  end)
  after_each(function()
    if conn then conn:close() end
    admin:exec(("DROP DATABASE IF EXISTS %s WITH (FORCE)"):format(db))
    admin:close()
    fs.rmtree(dir)
  end)

  local function write_dir(files)
    for name, text in pairs(files) do assert(fs.write(dir .. "/" .. name, text)) end
    local text = assert(hash.atlas_sum(dir))
    assert(fs.write(dir .. "/atlas.sum", text))
    return assert(migdir.open(dir))
  end

  -- regression: create-migrations' self-check continues the replay on the connection the
  -- first replay used (dbhost.schema.source.replay_more); the second executor's PREPARE of
  -- the revision upsert failed with "prepared statement ... already exists"
  it("runs again on a connection an earlier executor used", function()
    local d = write_dir { ["1_a.sql"] = "CREATE TABLE a (id int);\n" }
    local ex = executor.new { conn = conn, dir = d }
    assert.is_nil(ex:execute(ex:plan {}).failure)
    d = write_dir { ["2_b.sql"] = "CREATE TABLE b (id int);\n" }
    local again = executor.new { conn = conn, dir = d }
    local out = again:execute(again:plan {})
    assert.is_nil(out.failure)
    assert.are.equal(1, #out.applied)
    assert.are.equal("2", out.applied[1].version)
  end)

  it("sends one query per file", function()
    local d = write_dir {
      ["1_a.sql"] = "CREATE TABLE a (id int);\nINSERT INTO a VALUES (1);\nINSERT INTO a VALUES (2);\n",
      ["2_b.sql"] = "CREATE TABLE b (id int);\n;\nSELECT 1; -- done;",
    }
    local proxy = counting(conn)
    local ex = executor.new { conn = proxy, dir = d }
    local plan = ex:plan {}
    local before = { exec = proxy.counts.exec, exec_all = proxy.counts.exec_all }
    local result = ex:execute(plan)
    assert.is_nil(result.failure)
    assert.are.equal(2, #result.applied)
    assert.are.equal(2, proxy.counts.exec_all - before.exec_all, "one multi-statement query per file")
    -- the rest is set-up once per run (settings, revisions table), not per statement
    assert.is_true(proxy.counts.exec - before.exec <= 6, "exec calls: " .. proxy.counts.exec - before.exec)
    assert.are.equal("2", assert(conn:exec("SELECT count(*) AS n FROM a")).rows[1].n)
  end)

  it("locates a syntax error in one round trip", function()
    local d = write_dir {
      ["1_a.sql"] = "CREATE TABLE t1 (id int);\nCREATE TABLE t2 (id int,, x text);\nCREATE TABLE t3 (id int);\n",
    }
    local proxy = counting(conn)
    local ex = executor.new { conn = proxy, dir = d }
    local plan = ex:plan {}
    local before = proxy.counts.exec_all
    local result = ex:execute(plan)
    assert.is_not_nil(result.failure)
    assert.are.equal(1, proxy.counts.exec_all - before)
    assert.are.equal(2, result.failure.index)
    assert.are.same({ 2, 25 }, { require("dbhost.errors").locate(d.files[1]:text(), result.failure.stmt,
      result.failure.err.position) })
  end)
end)
