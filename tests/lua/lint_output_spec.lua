-- lint_output_spec.lua: `dbhost lint` as users run it — output formats checked
-- exactly against tests/lua/fixtures/lint/expected.*, exit statuses.
local helper = require "helper"
local proc = require "dbhost.proc"
local cjson = require "cjson"

local dir = "tests/lua/fixtures/lint"
local files = { dir .. "/1_init.sql", dir .. "/2_change.sql" }

local function read(path)
  local f = assert(io.open(helper.source_dir .. "/" .. path, "rb"))
  local s = f:read("a")
  f:close()
  return s
end

local function lint(args)
  local argv = { helper.dbhost, "lint" }
  for _, a in ipairs(args) do argv[#argv + 1] = a end
  return assert(proc.run { argv = argv, cwd = helper.source_dir })
end

local function with_files(...)
  local a = { ... }
  for _, f in ipairs(files) do a[#a + 1] = f end
  return a
end

describe("dbhost lint output", function()
  it("text", function()
    local r = lint(with_files())
    assert.are.equal(0, r.status)
    assert.are.equal(read(dir .. "/expected.txt"), r.stdout)
  end)

  it("markdown", function()
    local r = lint(with_files("--format", "markdown"))
    assert.are.equal(0, r.status)
    assert.are.equal(read(dir .. "/expected.md"), r.stdout)
  end)

  it("json", function()
    local r = lint(with_files("--format", "json"))
    assert.are.equal(0, r.status)
    assert.are.same(cjson.decode(read(dir .. "/expected.json")), cjson.decode(r.stdout))
    -- empty lists are lists, not objects
    assert.is_truthy(r.stdout:find('"aliases":[]', 1, true))
  end)

  it("github annotations", function()
    local r = lint(with_files("--format", "github"))
    assert.are.equal(read(dir .. "/expected.github"), r.stdout)
  end)

  it("exits 1 on an error finding and 2 on a usage error", function()
    local tmp = os.tmpname()
    local f = assert(io.open(tmp, "wb"))
    f:write("DROP TABLE users;\n")
    f:close()
    local r = lint({ files[1], tmp })
    os.remove(tmp)
    assert.are.equal(1, r.status)
    assert.is_truthy(r.stdout:find(":1:1: error DS102 drop-table: Dropping table \"users\"", 1, true))
    assert.are.equal(2, lint({ "--tx-mode", "maybe", files[1] }).status)
    assert.are.equal(2, lint({ "--pg-version", "x", files[1] }).status)
    assert.are.equal(2, lint({}).status)
    assert.are.equal(2, lint({ "no/such/file.sql" }).status)
  end)

  it("reads standard input for FILE -", function()
    local r = assert(proc.run { argv = { helper.dbhost, "lint", "--stdin-filepath", "db/x.sql", files[1], "-" },
                                cwd = helper.source_dir, stdin = "\nDROP TABLE users;\n" })
    assert.are.equal(1, r.status)
    assert.is_truthy(r.stdout:find("db/x.sql:2:1: error DS102 drop-table", 1, true))
  end)

  it("lists the rules with their aliases", function()
    local r = lint({ "--rules" })
    assert.are.equal(0, r.status)
    assert.is_truthy(r.stdout:find("DS103%s+error%s+non%-virtual column dropped %[drop%-column, ban%-drop%-column%]"))
  end)
end)
