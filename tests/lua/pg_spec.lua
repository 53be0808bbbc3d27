-- pg_spec.lua: the dbhost.pg binding against the fixture server
-- (DBHOST_TEST_DATABASE_URL, started by tests/lib/pgserver.sh through ctest).
local pg = require "dbhost.pg"
local proc = require "dbhost.proc"

local URL = assert(os.getenv("DBHOST_TEST_DATABASE_URL"),
  "DBHOST_TEST_DATABASE_URL is not set: run this spec through ctest")

-- Seconds since the epoch by the server's clock (os.clock is CPU time).
local function server_now(conn)
  return tonumber(assert(conn:exec("select extract(epoch from clock_timestamp()) as t"))[1].t)
end

-- Wait (up to 2 s) until backend `pid` has left pg_stat_activity.
local function backend_gone(watcher, pid)
  for _ = 1, 100 do
    local r = assert(watcher:exec("select count(*) as n from pg_stat_activity where pid = $1", pid))
    if r[1].n == "0" then return true end
    assert(watcher:exec("select pg_sleep(0.02)"))
  end
  return false
end

describe("dbhost.pg", function()
  describe("connect", function()
    it("accepts a URL and a keyword string", function()
      local c <close> = assert(pg.connect(URL))
      assert.are.equal("ok", c:status())
      assert.is_true(c:server_version() >= 100000)
      local host = URL:match("host=([^&]+)")
      local k <close> = assert(pg.connect("host=" .. host .. " user=postgres dbname=postgres"))
      assert.are.equal("postgres", assert(k:exec("select current_user as u"))[1].u)
      assert.are_not.equal(c:backend_pid(), k:backend_pid())
    end)

    it("reports a failure without the password", function()
      local ok, msg, code = pg.connect("postgresql://alice:s3cr3t@/db?host=/nonexistent-dbhost-socket-dir")
      assert.is_nil(ok)
      assert.are.equal("08001", code)
      assert.truthy(msg:find("/nonexistent-dbhost-socket-dir", 1, true))
      assert.is_nil(msg:find("s3cr3t", 1, true))
      ok, msg, code = pg.connect("postgresql://alice:s3cr3t%zz@/db")
      assert.is_nil(ok)
      assert.are.equal("EINVAL", code)
      assert.truthy(msg:find("percent-encoded", 1, true))
      assert.is_nil(msg:find("s3cr3t", 1, true))
      ok, msg, code = pg.connect("host=/nonexistent-dbhost-socket-dir password=s3cr3t")
      assert.is_nil(ok)
      assert.are.equal("08001", code)
      assert.is_nil(msg:find("s3cr3t", 1, true))
    end)

    it("validates options", function()
      assert.has_error(function() pg.connect(URL, { timeout = "soon" }) end)
      assert.has_error(function() pg.connect(URL, { timeout = -1 }) end)
      assert.has_error(function() pg.connect(URL, { statement_timeout = false }) end)
    end)

    it("takes the statement timeout from opts", function()
      local c <close> = assert(pg.connect(URL, { timeout = 5, statement_timeout = 0.2 }))
      local ok, e, code = c:exec("select pg_sleep(5)")
      assert.is_nil(ok)
      assert.are.equal("57014", code)
      assert.truthy(tostring(e):find("timed out after 0.2 s", 1, true))
      assert.are.equal("1", assert(c:exec("select 1 as x"))[1].x)
    end)
  end)

  describe("exec", function()
    local c
    before_each(function() c = assert(pg.connect(URL)) end)
    after_each(function() c:close() end)

    it("passes parameters as text, nil as NULL", function()
      local r = assert(c:exec("select $1::text as a, $2::text as b, $3::int + 1 as n, $4::float8 * 2 as f, "
        .. "$5::bool as t, $6::text is null as isnull", nil, "h\u{e9}llo \u{1F418}", 41, 0.1, true, nil))
      local row = r.rows[1]
      assert.is_nil(row.a)
      assert.are.equal("h\u{e9}llo \u{1F418}", row.b)
      assert.are.equal("42", row.n)
      assert.are.equal("0.2", row.f)
      assert.are.equal("t", row.t)
      assert.are.equal("t", row.isnull)
      assert.are.equal(row, r[1])
      assert.are.same({ "a", "b", "n", "f", "t", "isnull" }, r.fields)
      assert.are.equal(1, r.ntuples)
      assert.are.equal("SELECT 1", r.command)
      assert.has_error(function() c:exec("select $1", {}) end)
    end)

    it("runs several statements: exec gives the last result, exec_all all of them", function()
      local last = assert(c:exec("create temp table m(x int); insert into m values (1), (2), (3); "
        .. "select sum(x) as s from m"))
      assert.are.equal("6", last[1].s)
      local all = assert(c:exec_all("insert into m values (4); update m set x = x + 1; select x from m order by x"))
      assert.are.equal(3, #all)
      assert.are.equal("INSERT 0 1", all[1].command)
      assert.are.equal(4, all[2].affected)
      assert.are.same({ { x = "2" }, { x = "3" }, { x = "4" }, { x = "5" } }, all[3].rows)
      assert.are.same({ { n = "4" } }, assert(c:query("select count(*) as n from m")))
    end)

    it("returns SQL errors with their fields", function()
      local ok, e, code = c:exec("select 1; selec 2")
      assert.is_nil(ok)
      assert.are.equal("42601", code)
      assert.are.equal("42601", e.sqlstate)
      assert.are.equal(11, e.position)
      assert.are.equal("ERROR", e.severity)
      assert.are.equal('ERROR: syntax error at or near "selec" (SQLSTATE 42601)', tostring(e))
      ok, e, code = c:exec("select no_such_function($1::int)", 1)
      assert.is_nil(ok)
      assert.are.equal("42883", code)
      assert.truthy(e.hint:find("explicit type casts", 1, true))
      assert.truthy(tostring(e):find("(SQLSTATE 42883)\nHINT: No function matches", 1, true))
      ok, e = c:exec("create temp table u(x int unique); insert into u values (1), (1)")
      assert.is_nil(ok)
      assert.are.equal("23505", e.sqlstate)
      assert.are.equal("u_x_key", e.constraint)
      assert.truthy(e.detail:find("already exists", 1, true))
      assert.are.equal("ok", c:status())
    end)

    it("collects notices and clears them", function()
      assert(c:exec("do $$ begin raise notice 'first %', 1; raise warning 'second'; end $$"))
      assert.are.same({ "NOTICE: first 1", "WARNING: second" }, c:notices())
      assert.are.same({}, c:notices())
    end)

    it("cancels a statement past the timeout on the server", function()
      local watcher <close> = assert(pg.connect(URL))
      c:set_timeout(0.3)
      local t0 = server_now(watcher)
      local ok, e, code = c:exec("select pg_sleep(10)")
      local took = server_now(watcher) - t0
      assert.is_nil(ok)
      assert.are.equal("57014", code)
      assert.is_true(e.timeout)
      assert.is_true(took < 1.5, "took " .. took .. " s")
      local r = assert(watcher:exec("select count(*) as n from pg_stat_activity where pid = $1 and state = 'active'",
        c:backend_pid()))
      assert.are.equal("0", r[1].n)
      c:set_timeout(nil)
      assert.are.equal("7", assert(c:exec("select 7 as x"))[1].x)
    end)

    it("follows the transaction status", function()
      assert.are.equal("idle", c:transaction_status())
      assert(c:exec("begin"))
      assert.are.equal("intrans", c:transaction_status())
      assert.is_nil(c:exec("select 1/0"))
      assert.are.equal("inerror", c:transaction_status())
      assert.are.equal("25P02", select(3, c:exec("select 1")))
      assert(c:exec("rollback"))
      assert.are.equal("idle", c:transaction_status())
    end)

    it("fails cleanly when the backend is terminated", function()
      local other <close> = assert(pg.connect(URL))
      assert(other:exec("select pg_terminate_backend($1)", c:backend_pid()))
      local ok, e, code = c:exec("select 1")
      assert.is_nil(ok)
      assert.are.equal("57P01", code)
      assert.are.equal("string", type(e.message))
      assert.are.equal("bad", c:status())
      ok, e, code = c:exec("select 1")
      assert.is_nil(ok)
      assert.are.equal("08006", code)
    end)

    it("escapes identifiers and literals", function()
      assert.are.equal('"a""b"', c:escape_identifier('a"b'))
      assert.are.equal("'it''s'", c:escape_literal("it's"))
      assert.are.equal("22021", select(3, c:escape_literal("\xff")))
      assert.are.equal("integer", math.type(c:socket()))
      assert.is_true(c:socket() >= 0)
      assert.is_true(c:cancel())
    end)
  end)

  describe("send and result", function()
    it("runs queries on two connections at the same time", function()
      local a = assert(pg.connect(URL))
      local b = assert(pg.connect(URL))
      local t0 = proc.now()
      assert.is_true(a:send("SELECT pg_sleep(0.4), $1::int AS n", 1))
      assert.is_true(b:send("SELECT pg_sleep(0.4), 2 AS n"))
      local ra = assert(a:result())
      local rb = assert(b:result())
      local took = proc.now() - t0
      assert.are.equal("1", ra.rows[1].n)
      assert.are.equal("2", rb.rows[1].n)
      assert.is_true(took < 0.75, ("two 0.4 s queries took %.2f s: not concurrent"):format(took))
      a:close()
      b:close()
    end)

    it("returns a failed query's error from result, and the connection goes on", function()
      local c = assert(pg.connect(URL))
      assert.is_true(c:send("SELECT 1/0"))
      local res, err, code = c:result()
      assert.is_nil(res)
      assert.are.equal("22012", code)
      assert.truthy(tostring(err):find("division by zero", 1, true))
      assert.are.equal("3", assert(c:exec("SELECT 3 AS x")).rows[1].x)
      c:close()
    end)

    it("refuses another query while a sent one waits, and result without send", function()
      local c = assert(pg.connect(URL))
      assert.has_error(function() c:result() end, "conn:result() without a query sent by conn:send()")
      assert.is_true(c:send("SELECT 1"))
      assert.has_error(function() c:exec("SELECT 2") end)
      assert.has_error(function() c:send("SELECT 2") end)
      assert.are.equal("1", assert(c:result()).rows[1]["?column?"])
      c:close()
    end)

    it("says whether a sent query still runs, without waiting", function()
      local c = assert(pg.connect(URL))
      assert.is_false(c:busy())
      assert.is_true(c:send("SELECT pg_sleep(0.3)"))
      local t0 = proc.now()
      assert.is_true(c:busy())
      assert.is_true(proc.now() - t0 < 0.1, "busy() waited")
      assert(c:result())
      assert.is_false(c:busy())
      assert.is_true(c:send("SELECT 1"))
      proc.sleep(0.2)
      assert.is_false(c:busy())   -- done: result() will not wait
      assert(c:result())
      c:close()
    end)

    it("closes a connection with a query still waiting", function()
      local c = assert(pg.connect(URL))
      assert.is_true(c:send("SELECT pg_sleep(0.05)"))
      c:close()
    end)
  end)

  describe("lifetime", function()
    it("closes with <close>, close() and gc; a closed conn raises", function()
      local watcher <close> = assert(pg.connect(URL))
      local saved, pid1
      do
        local c <close> = assert(pg.connect(URL))
        saved, pid1 = c, c:backend_pid()
      end
      assert.is_true(backend_gone(watcher, pid1))
      assert.has_error(function() saved:exec("select 1") end, "attempt to use a closed PostgreSQL connection")
      assert.has_error(function() saved:status() end)
      assert.are.equal("dbhost.pg.conn (closed)", tostring(saved))

      local pid2
      do
        local c = assert(pg.connect(URL))
        pid2 = c:backend_pid()
      end
      collectgarbage()
      collectgarbage()
      assert.is_true(backend_gone(watcher, pid2))

      local c3 = assert(pg.connect(URL))
      local pid3 = c3:backend_pid()
      assert.is_true(c3:close())
      assert.is_true(c3:close())
      assert.is_true(backend_gone(watcher, pid3))
    end)
  end)

  describe("redact", function()
    local cases = {
      { "postgres://u:secret@h/db", "postgres://u:xxxxx@h/db" },
      { "postgresql://u:p%40ss@h:5432/db?sslmode=disable", "postgresql://u:xxxxx@h:5432/db?sslmode=disable" },
      { "postgres://u:p@ss@h/db", "postgres://u:xxxxx@h/db" },
      { "postgres://u@h/db?sslmode=require&password=secret", "postgres://u@h/db?sslmode=require&password=xxxxx" },
      { "postgres://h/db", "postgres://h/db" },
      { "host=h password=secret user=u", "host=h password=xxxxx user=u" },
      { "host=h password = 'se cr\\'et' user=u", "host=h password = 'xxxxx' user=u" },
      { "dbname='postgres://u:pw@h/db' user=x", "dbname='postgres://u:xxxxx@h/db' user=x" },
      { "mydb", "mydb" },
    }
    for _, case in ipairs(cases) do
      it(case[1], function()
        assert.are.equal(case[2], pg.redact(case[1]))
      end)
    end
  end)

  it("pings", function()
    assert.are.equal("ok", pg.ping(URL))
    assert.are.equal("no_response", pg.ping("host=/nonexistent-dbhost-socket-dir"))
  end)
end)
