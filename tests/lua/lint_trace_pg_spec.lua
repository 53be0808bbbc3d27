-- lint_trace_pg_spec.lua: `dbhost lint --trace` against a real PostgreSQL 15
-- server (the suite's server: --dev-url postgres://… makes a scratch database
-- there): measured locks, rewrites and scans.
local helper = require "helper"
local proc = require "dbhost.proc"
local cjson = require "cjson"
local fs = require "dbhost.fs"

local dir

local function write(name, text)
  assert(fs.write(dir .. "/" .. name, text))
  return dir .. "/" .. name
end

local function trace(files)
  local argv = { helper.dbhost, "lint", "--trace", "--format", "json",
                 "--dev-url", assert(os.getenv("DBHOST_TEST_DATABASE_URL")) }
  for _, f in ipairs(files) do argv[#argv + 1] = f end
  local r = assert(proc.run { argv = argv, timeout = 120 })
  assert(r.status == 0 or r.status == 1, r.stderr)
  assert(r.stdout ~= "", r.stderr)
  return cjson.decode(r.stdout)
end

local function finding(doc, code, line)
  for _, f in ipairs(doc.findings) do
    if f.code == code and f.line == line then return f end
  end
end

local function locks_on(t, rel)
  local out = {}
  for _, l in ipairs(t.locks) do
    if l.relation == rel then out[#out + 1] = l.mode end
  end
  table.sort(out)
  return out
end

local function read(path)
  local f = assert(io.open(helper.source_dir .. "/" .. path, "rb"))
  local s = f:read("a")
  f:close()
  return s
end

describe("lint --trace output", function()
  local files = { "tests/lua/fixtures/lint/1_init.sql", "tests/lua/fixtures/lint/2_change.sql" }
  local function run_format(format)
    local argv = { helper.dbhost, "lint", "--trace", "--format", format,
                   "--dev-url", assert(os.getenv("DBHOST_TEST_DATABASE_URL")), files[1], files[2] }
    local r = assert(proc.run { argv = argv, cwd = helper.source_dir, timeout = 120 })
    assert(r.status == 0, r.stderr)
    return r.stdout
  end

  it("markdown has the measured locks, exactly", function()
    assert.are.equal(read("tests/lua/fixtures/lint/expected-trace.md"), run_format("markdown"))
  end)

  it("json has the trace facts, exactly", function()
    assert.are.same(cjson.decode(read("tests/lua/fixtures/lint/expected-trace.json")), cjson.decode(run_format("json")))
  end)
end)

describe("lint --trace", function()
  local doc
  setup(function()
    dir = assert(fs.mkdtemp("dbhost-trace-"))
    local init = write("1_init.sql", "CREATE TABLE users (id bigint PRIMARY KEY, email text, age int, name varchar(20));\n"
      .. "CREATE INDEX users_age_idx ON users (age);\n")
    local change = write("2_change.sql", "ALTER TABLE users ALTER COLUMN email SET NOT NULL;\n"
      .. "ALTER TABLE users ALTER COLUMN name TYPE text;\n"
      .. "ALTER TABLE users ALTER COLUMN age TYPE bigint;\n")
    local index = write("3_index.sql", "CREATE INDEX users_email_idx ON users (email);\n")
    local concurrent = write("4_concurrent.sql", "-- atlas:txmode none\n\n"
      .. "CREATE INDEX CONCURRENTLY IF NOT EXISTS users_name_idx ON users (name);\n")
    local disagree = write("5_disagree.sql", "ALTER TABLE users ADD COLUMN code text DEFAULT lpad('x', 3);\n"
      .. "ALTER TABLE users ALTER COLUMN email TYPE text COLLATE \"C\";\n")
    local required = write("6_required.sql", "CREATE TABLE tags (id bigint PRIMARY KEY, name text);\n"
      .. "CREATE TABLE prices (id bigint PRIMARY KEY, amount numeric(10,2) CHECK (amount >= 0));\n"
      .. "CREATE TABLE user_tags (user_id bigint NOT NULL REFERENCES users (id), tag_id bigint REFERENCES tags (id));\n")
    local fails = write("7_fails.sql", "ALTER TABLE user_tags ADD COLUMN weight int NOT NULL;\n")
    local widen = write("8_widen.sql", "ALTER TABLE prices ALTER COLUMN amount TYPE numeric(12,2);\n")
    doc = trace({ init, change, index, concurrent, disagree, required, fails, widen })
  end)
  teardown(function()
    if dir then fs.rmtree(dir) end
  end)

  it("measures that SET NOT NULL scans the table under ACCESS EXCLUSIVE", function()
    local f = assert(finding(doc, "PG303", 1))
    assert.are.same({ "AccessExclusive" }, locks_on(f.trace, "users"))
    assert.are.same({ { relation = "users", count = 1 } }, f.trace.scans)
    assert.are.same({}, f.trace.rewrites)
    assert.are.equal(cjson.null, f.disagreement)
  end)

  it("measures that int to bigint rewrites the table and its indexes", function()
    local f = assert(finding(doc, "PG301", 3))
    assert.are.same({ "users", "users_age_idx", "users_pkey" }, f.trace.rewrites)
    assert.are.equal(cjson.null, f.disagreement)
  end)

  it("measures that varchar to text does not rewrite (and no rule claims it does)", function()
    assert.is_nil(finding(doc, "PG301", 2))
    for _, t in ipairs(doc.disagreements) do
      assert.is_false(t.file:match("2_change") ~= nil and t.line == 2, t.message)
    end
  end)

  it("measures the SHARE lock of a plain CREATE INDEX", function()
    local f = assert(finding(doc, "PG101", 1))
    assert.are.same({ "Share" }, locks_on(f.trace, "users"))
    assert.are.equal(cjson.null, f.disagreement)
  end)

  it("seeds rows (tables of earlier files too, foreign keys satisfied), so a data-dependent failure shows", function()
    local f = assert(finding(doc, "MF103", 1))
    assert.is_truthy(f.file:match("7_fails"))
    assert.are.equal('column "weight" of relation "user_tags" contains null values', f.trace.error)
  end)

  it("measures that a type change without rewrite still scans for the CHECK on the column", function()
    local f = assert(finding(doc, "DH115", 1))
    assert.is_truthy(f.file:match("8_widen"))
    assert.are.same({}, f.trace.rewrites)
    assert.are.same({ { relation = "prices", count = 1 } }, f.trace.scans)
    assert.are.equal(cjson.null, f.disagreement)
  end)

  it("flags a static claim the trace contradicts", function()
    -- lpad is immutable, but the static rule does not know it: no rewrite measured
    local f = assert(finding(doc, "PG302", 1))
    assert.are.same({}, f.trace.rewrites)
    assert.are.equal("no table was rewritten", f.disagreement)
  end)

  it("flags a rewrite no static rule reported", function()
    -- same type, new collation: the index on the column is rebuilt
    local found
    for _, d in ipairs(doc.disagreements) do
      if d.file:match("5_disagree") and d.line == 2 then found = d.message end
    end
    assert.are.equal("rewrote users_email_idx, which no static rule reported", found)
  end)

  it("measures that CREATE INDEX CONCURRENTLY takes SHARE UPDATE EXCLUSIVE and no SHARE lock", function()
    local fact
    for _, t in ipairs(doc.trace) do
      if t.file:match("4_concurrent") then fact = t end
    end
    assert.is_not_nil(fact)
    assert.are.equal(3, fact.line)
    assert.is_nil(fact.skipped)
    assert.are.same({ "ShareUpdateExclusive" }, locks_on(fact, "users"))
    assert.are.same({}, fact.rewrites)
    assert.is_nil(fact.error)   -- the statement completed once the blocker let go
  end)
end)
