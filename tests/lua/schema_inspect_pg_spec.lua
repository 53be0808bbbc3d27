-- schema_inspect_pg_spec.lua: what dbhost.schema.inspect reads, checked against the server itself
-- where it reads less than the catalogs hold: the automatic dependencies of indexes and
-- constraints (only on columns of a type of their own, the ones the planner can move off a
-- rebuilt type), and defaults deparsed without their table.
-- Needs DBHOST_TEST_DATABASE_URL (scratch databases are made on that server).
local fs = require "dbhost.fs"
local diff = require "dbhost.schema.diff"
local source = require "dbhost.schema.source"

local URL = assert(os.getenv("DBHOST_TEST_DATABASE_URL"), "DBHOST_TEST_DATABASE_URL is not set")

local SCHEMA = [[
CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy');
CREATE DOMAIN posint AS integer CHECK (VALUE > 0);
CREATE TYPE pair AS (a integer, b text);
CREATE TABLE t (id integer PRIMARY KEY, m mood DEFAULT 'ok', ms mood[], p posint, c pair, n text DEFAULT 'x',
  s serial, loud text GENERATED ALWAYS AS (upper(n) || '!') STORED,
  CONSTRAINT p_small CHECK (p < 100), CONSTRAINT n_short CHECK (length(n) < 10), UNIQUE (c));
CREATE INDEX t_m ON t (m);
CREATE INDEX t_ms ON t USING gin (ms);
CREATE INDEX t_n ON t (n);
CREATE INDEX t_lower_n ON t (lower(n)) WHERE m <> 'sad';
CREATE MATERIALIZED VIEW mv AS SELECT id, n FROM t;
CREATE UNIQUE INDEX mv_id ON mv (id);
]]

local tmp
setup(function() tmp = assert(fs.mkdtemp("dbhost-inspect-spec.", os.getenv("TMPDIR") or "/tmp")) end)
teardown(function() if tmp then fs.rmtree(tmp) end end)

local function load(name, text)
  local path = tmp .. "/" .. name
  assert(fs.write(path, text))
  return assert(source.load("file://" .. path, { dev_url = URL, keep = true }))
end

-- "from to col" of each automatic dependency of model m, as a set
local function auto_deps(m)
  local set = {}
  for _, d in ipairs(m.deps) do
    if d.auto then set[d.from .. " " .. d.to .. " " .. tostring(d.col)] = true end
  end
  return set
end

describe("schema inspect", function()
  it("reads the automatic dependencies on columns of an enum, a domain, a composite type, an array of one, and a sequence's owner", function()
    local m, info = load("auto.sql", SCHEMA)
    info.conn:close()
    info.dev:close()
    local auto = auto_deps(m)
    for _, want in ipairs {
      "index:public.t_m table:public.t m",                 -- an enum column
      "index:public.t_ms table:public.t ms",               -- an array of the enum
      "index:public.t_lower_n table:public.t m",           -- the enum in an index's predicate
      "constraint:public.t.p_small table:public.t p",      -- a domain column
      "constraint:public.t.t_c_key table:public.t c",      -- a composite type's column
      "sequence:public.t_s_seq table:public.t s",          -- OWNED BY, whatever the column's type
    } do
      assert.is_true(auto[want], want)
    end
    -- and not those on columns of a built-in type: the planner never moves them off it
    for _, unwanted in ipairs {
      "index:public.t_n table:public.t n",
      "index:public.t_lower_n table:public.t n",
      "constraint:public.t.n_short table:public.t n",
      "constraint:public.t.t_pkey table:public.t id",
      "index:public.mv_id view:public.mv id",              -- (a view's columns are never moved)
    } do
      assert.is_nil(auto[unwanted], unwanted)
    end
  end)

  it("recreates an index on an enum column when the enum is rebuilt, and leaves the others", function()
    local from, i1 = load("before.sql", SCHEMA)
    local to, i2 = load("after.sql", (SCHEMA:gsub("'sad', 'ok', 'happy'", "'ok', 'happy'"):gsub("m <> 'sad'", "m <> 'ok'")))
    for _, i in ipairs { i1, i2 } do i.conn:close(); i.dev:close() end
    local plan = assert(diff.plan(from, to))
    local sql = {}
    for _, s in ipairs(plan.statements) do sql[#sql + 1] = s.sql end
    sql = table.concat(sql, "\n")
    assert.matches("DROP INDEX public.t_m\n", sql, 1, true)
    assert.matches("CREATE INDEX t_m ON public.t USING btree (m)", sql, 1, true)
    assert.matches("DROP INDEX public.t_ms\n", sql, 1, true)
    assert.not_matches("DROP INDEX public.t_n\n", sql, 1, true)
    assert.not_matches("n_short", sql, 1, true)
  end)

  it("reads defaults and generated columns as the server deparses them with their table", function()
    local m, info = load("defaults.sql", SCHEMA)
    -- names qualified as inspect reads them (with an empty search_path)
    assert(info.conn:exec("SELECT pg_catalog.set_config('search_path', '', false)"))
    local r = assert(info.conn:exec("SELECT a.attname AS name, pg_catalog.pg_get_expr(ad.adbin, ad.adrelid) AS expr "
      .. "FROM pg_catalog.pg_attrdef ad JOIN pg_catalog.pg_attribute a ON a.attrelid = ad.adrelid "
      .. "AND a.attnum = ad.adnum WHERE ad.adrelid = 'public.t'::regclass"))
    info.conn:close()
    info.dev:close()
    local cols = m.tables["public.t"].columns
    assert.equal(4, #r.rows)  -- m, n, s (nextval) and loud
    for _, row in ipairs(r.rows) do
      assert.equal(row.expr, cols[row.name].default or cols[row.name].generated, row.name)
    end
    assert.truthy(cols.loud.generated)
    assert.matches("nextval", cols.s.default, 1, true)
  end)
end)
