-- run_pg_spec.lua: dbhost.db.run on a real server. run.batch loads a script in one round
-- trip when it can, and otherwise (or on a failure, which rolls the whole batch back)
-- behaves exactly as run.script: statement by statement, the failure located.
-- Needs DBHOST_TEST_DATABASE_URL (a scratch database is made on that server).
local pg = require "dbhost.pg"
local proc = require "dbhost.proc"
local run = require "dbhost.db.run"

local URL = assert(os.getenv("DBHOST_TEST_DATABASE_URL"), "DBHOST_TEST_DATABASE_URL is not set")

local admin, conn, dbname
local function db_url(name) return (URL:gsub("^(postgres[a-z]*:///)[^?]*", "%1" .. name)) end

-- how many transactions created the tables of public (the xmin of their pg_class rows)
local function transactions()
  local r = assert(conn:exec("SELECT count(DISTINCT xmin::text) AS n FROM pg_catalog.pg_class "
    .. "WHERE relkind = 'r' AND relnamespace = 'public'::regnamespace"))
  return tonumber(r.rows[1].n)
end

local function tables()
  local r = assert(conn:exec("SELECT string_agg(relname, ',' ORDER BY relname) AS t FROM pg_catalog.pg_class "
    .. "WHERE relkind = 'r' AND relnamespace = 'public'::regnamespace"))
  return r.rows[1].t or ""
end

describe("dbhost.db.run", function()
  before_each(function()
    admin = assert(pg.connect(URL))
    dbname = ("run_spec_%d_%d"):format(proc.pid(), math.random(1, 1e9))
    assert(admin:exec("CREATE DATABASE " .. dbname))
    conn = assert(pg.connect(db_url(dbname)))
  end)
  after_each(function()
    conn:close()
    admin:exec("DROP DATABASE IF EXISTS " .. dbname .. " WITH (FORCE)")
    admin:close()
  end)

  it("batch runs a script of many statements as one transaction", function()
    local parts = {}
    for i = 1, 50 do parts[#parts + 1] = ("CREATE TABLE t%02d (id int PRIMARY KEY);"):format(i) end
    assert(run.batch(conn, table.concat(parts, "\n"), "many.sql"))
    assert.are.equal(50, #tables():gsub("[^,]", "") + 1)
    assert.are.equal(1, transactions())
    -- the same through run.script: one transaction per statement
    assert(conn:exec("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
    assert(run.script(conn, table.concat(parts, "\n"), "many.sql"))
    assert.are.equal(50, transactions())
  end)

  it("a failing batch leaves nothing behind it and names the failing statement", function()
    local text = "CREATE TABLE a (id int);\nCREATE TABLE b (id int);\n\nCREATE TABLE c (x nosuchtype);\nCREATE TABLE d (id int);\n"
    local ok, msg, code = run.batch(conn, text, "bad.sql")
    assert.is_nil(ok)
    assert.are.equal("42704", code)
    assert.truthy(msg:find("^bad%.sql:4:19: type \"nosuchtype\" does not exist"), msg)
    -- as run.script: what came before the failure ran, nothing after it
    assert.are.equal("a,b", tables())
  end)

  it("falls back to autocommit for what a transaction block refuses", function()
    -- a new enum value cannot be used in the transaction that added it
    local text = "CREATE TYPE mood AS ENUM ('sad');\nALTER TYPE mood ADD VALUE 'happy';\n"
      .. "CREATE TABLE m (x mood DEFAULT 'happy');\nCREATE INDEX CONCURRENTLY m_x ON m (x);\n"
    assert(run.batch(conn, text, "enum.sql"))
    assert.are.equal("m", tables())
    local r = assert(conn:exec("SELECT count(*) AS n FROM pg_catalog.pg_class WHERE relname = 'm_x'"))
    assert.are.equal("1", r.rows[1].n)
  end)

  it("keeps a script's own transaction control", function()
    local text = "BEGIN;\nCREATE TABLE a (id int);\nCOMMIT;\nCREATE TABLE b (x nosuchtype);\n"
    local ok = run.batch(conn, text, "tx.sql")
    assert.is_nil(ok)
    assert.are.equal("a", tables())
  end)

  it("does not batch a script split by a custom delimiter", function()
    local text = "-- atlas:delimiter \\n\\n\nCREATE TABLE a (id int)\n\nCREATE TABLE b (id int)\n"
    assert(run.batch(conn, text, "delim.sql"))
    assert.are.equal("a,b", tables())
  end)
end)
