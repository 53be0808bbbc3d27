-- project_spec.lua: dbhost.project.config resolves atlas.hcl project files into one config.
local helper = require "helper"
local project = require "dbhost.project.config"
local hcl = require "dbhost.project.hcl"

local FIXTURES = helper.source_dir .. "/tests/lua/fixtures/hcl"

local function fixture(name) return FIXTURES .. "/" .. name end

local function no_env() return nil end

-- load(opts) -> config (fails the test on error)
local function load(opts)
  opts.getenv = opts.getenv or no_env
  local cfg, msg, code = project.load(opts)
  assert.is_nil(msg)
  assert.is_nil(code)
  assert.is_table(cfg)
  return cfg
end

-- load_error(opts) -> msg, code
local function load_error(opts)
  opts.getenv = opts.getenv or no_env
  local cfg, msg, code = project.load(opts)
  assert.is_nil(cfg)
  assert.is_string(msg)
  return msg, code
end

-- load_text(text, opts) -> config | nil, msg, code for an in-memory atlas.hcl
local function load_text(text, opts)
  opts = opts or {}
  opts.text, opts.file = text, opts.file or "atlas.hcl"
  opts.getenv = opts.getenv or no_env
  return project.load(opts)
end

describe("dbhost.project.config without a project file", function()
  local missing = fixture("no-such-dir/atlas.hcl")

  it("returns Atlas's defaults", function()
    local cfg = load({ file = missing })
    assert.is_false(cfg.found)
    assert.is_nil(cfg.env)
    assert.same({
      dir = "file://migrations", path = FIXTURES .. "/no-such-dir/migrations", format = "atlas",
      exec_order = "linear", lock_timeout = "10s",
    }, cfg.migration)
    assert.same({}, cfg.src)
    assert.same({}, cfg.lint)
  end)

  it("is an error when an env is required or named", function()
    local msg, code = load_error({ file = missing, require_env = true })
    assert.equal(missing .. ": project file not found (an env is required)", msg)
    assert.equal("ENOENT", code)
    msg, code = load_error({ file = "file://" .. missing, env = "prod" })
    assert.equal(missing .. ': project file not found (needed for env "prod")', msg)
    assert.equal("ENOENT", code)
  end)
end)

describe("dbhost.project.config on the atlas.md §6 examples", function()
  it("A: picks the only env and resolves the migration dir", function()
    local cfg = load({ file = fixture("example_a.hcl") })
    assert.is_true(cfg.found)
    assert.equal("local", cfg.env)
    assert.same({ "local" }, cfg.envs)
    assert.equal("file://migrations", cfg.migration.dir)
    assert.equal(FIXTURES .. "/migrations", cfg.migration.path)
    assert.equal("linear", cfg.migration.exec_order)
  end)

  it("B: url, dev, src and format = atlas", function()
    local cfg = load({ file = fixture("example_b.hcl"), env = "local" })
    assert.equal("URL", cfg.url)
    assert.equal("sqlite://test?mode=memory&_fk=1", cfg.dev)
    assert.same({ "./1.hcl" }, cfg.src)
    assert.equal("atlas", cfg.migration.format)
    assert.equal(fixture("example_b.hcl") .. ":2:5", cfg.pos.url)
  end)

  it("C: merges the global lint policy with the env's", function()
    local cfg = load({ file = fixture("example_c.hcl"), env = "log_name" })
    assert.same({
      latest = 1,
      destructive = { error = false },
      log = "{{ range .Files }}{{ println .Name }}{{ end }}",
    }, cfg.lint)
  end)

  it("C: keeps the global lint policy when no env is selected", function()
    local cfg = load({ text = "lint {\n  latest = 2\n}\nenv \"a\" {}\nenv \"b\" {}\n" })
    assert.is_nil(cfg.env)
    assert.same({ "a", "b" }, cfg.envs)
    assert.same({ latest = 2 }, cfg.lint)
  end)

  it("D: matches any --env with an unlabelled env and takes the first for_each instance", function()
    local cfg = load({ file = fixture("example_d.hcl"), env = "tenants" })
    assert.equal("tenants", cfg.env)
    assert.equal("sqlite://bar.db?_fk=1", cfg.url)
    assert.equal("tenants", cfg.attrs.name)
    assert.is_nil(cfg.attrs.for_each)
    assert.same({ count = 2, keys = { "sqlite://bar.db?_fk=1", "sqlite://foo.db?_fk=1" },
                  values = { "sqlite://bar.db?_fk=1", "sqlite://foo.db?_fk=1" } }, cfg.for_each)
    assert.equal(2, #cfg.instances)
    assert.equal(cfg, cfg.instances[1])
    assert.equal("sqlite://foo.db?_fk=1", cfg.instances[2].url)
    assert.equal("file://migrations", cfg.instances[2].migration.dir)
    assert.matches('env "tenants" has for_each with 2 instances; using the first', cfg.notes[1], 1, true)
  end)

  it("E: variable defaults, getenv() and --var", function()
    local cfg = load({ file = fixture("example_e.hcl") })
    assert.equal("local", cfg.env)
    assert.equal("mysql://root:pass@localhost:3306/", cfg.url)
    assert.equal("", cfg.vars.cloud_token)
    cfg = load({
      file = fixture("example_e.hcl"), env = "local", vars = { url = "postgres://localhost/x" },
      getenv = function(name) return name == "ATLAS_TOKEN" and "secret" or nil end,
    })
    assert.equal("postgres://localhost/x", cfg.url)
    assert.same({ url = "postgres://localhost/x", cloud_token = "secret" }, cfg.vars)
  end)

  it("F: records external_schema without running it", function()
    local cfg = load({ file = fixture("example_f.hcl"), env = "orm" })
    assert.same({ "external_schema://orm" }, cfg.src)
    assert.equal("docker://postgres/15/dev?search_path=public", cfg.dev)
    local orm = cfg.data.external_schema.orm
    assert.equal("external_schema://orm", orm.url)
    assert.same({ "npm", "run", "generate-schema" }, orm.program)
    assert.equal(1, orm.line)
  end)
end)

describe("dbhost.project.config on a PostgreSQL project", function()
  local file = fixture("postgres_project.hcl")

  it("resolves the local env: getenv, locals, external_schema, lint merge", function()
    local cfg = load({
      file = file, env = "local", vars = { db_password = "p@ss" },
      getenv = function(name) return name == "PGHOST" and "db.internal" or nil end,
    })
    assert.equal("local", cfg.env)
    assert.same({ "local", "prod" }, cfg.envs)
    assert.equal("postgres://postgres:pass@db.internal:5432/app?search_path=public&sslmode=disable", cfg.url)
    assert.equal("postgres://postgres:pass@db.internal:5432/dev?search_path=public&sslmode=disable", cfg.dev)
    assert.same({ "external_schema://drizzle", "file://schema/extra.sql" }, cfg.src)
    assert.same({ "public", "billing" }, cfg.schemas)
    assert.equal("file://db/migrations", cfg.migration.dir)
    assert.equal(FIXTURES .. "/db/migrations", cfg.migration.path)
    assert.equal("linear-skip", cfg.migration.exec_order)
    assert.equal("30s", cfg.migration.lock_timeout)
    assert.equal("atlas", cfg.migration.revisions_schema)
    assert.is_nil(cfg.migration.baseline)
    assert.same({ latest = 1, destructive = { error = true }, data_depend = { error = true } }, cfg.lint)
    assert.same({ "npx", "drizzle-kit", "export", "--dialect=postgresql" },
                cfg.data.external_schema.drizzle.program)
    assert.equal("prod.db.internal", cfg.locals.prod_host)
  end)

  it("resolves the prod env: interpolated, escaped password and baseline", function()
    local cfg = load({ file = file, env = "prod", vars = { db_password = "p@ss w/rd" } })
    assert.equal("postgres://app:p%40ss+w%2Frd@prod.localhost:5432/app?sslmode=require", cfg.url)
    assert.equal("20240101000000", cfg.migration.baseline)
    assert.equal("all", cfg.migration.tx_mode)
    assert.equal("linear", cfg.migration.exec_order)
    assert.equal("10s", cfg.migration.lock_timeout)
    assert.same({ destructive = { error = true }, data_depend = { error = false },
                  git = { base = "main", dir = "." } }, cfg.lint)
    assert.same({ db_password = "p@ss w/rd", db_host = "localhost", schemas = { "public", "billing" } }, cfg.vars)
  end)

  it("names a required variable that has no value", function()
    local msg, code = load_error({ file = file, env = "prod" })
    assert.equal(file .. ':3:1: missing value for required variable "db_password" (pass --var db_password=VALUE)',
                 msg)
    assert.equal("ECONFIG", code)
  end)

  it("lists the envs when --env names none of them", function()
    local msg, code = load_error({ file = file, env = "staging", vars = { db_password = "x" } })
    assert.equal(file .. ': env "staging" is not defined (defined envs: "local", "prod")', msg)
    assert.equal("ECONFIG", code)
  end)

  it("selects no env without --env, unless one is required", function()
    local cfg = load({ file = file, vars = { db_password = "x" } })
    assert.is_nil(cfg.env)
    assert.is_nil(cfg.url)
    assert.same({ destructive = { error = true }, data_depend = { error = false } }, cfg.lint)
    local msg, code = load_error({ file = file, vars = { db_password = "x" }, require_env = true })
    assert.equal(file .. ': 2 envs are defined; choose one with --env ("local", "prod")', msg)
    assert.equal("ECONFIG", code)
  end)
end)

describe("dbhost.project.config checks", function()
  local cases = {
    { 'env "a" {\n  migration {\n    format = "sqitch"\n  }\n}\n', nil,
      "atlas.hcl:3:5: migration.format must be one of atlas, golang-migrate, goose, flyway, liquibase, dbmate, got \"sqitch\"" },
    { 'env "a" {\n  migration {\n    exec_order = SOMETIMES\n  }\n}\n', nil,
      'atlas.hcl:3:5: migration.exec_order must be one of LINEAR, LINEAR_SKIP, NON_LINEAR, got "SOMETIMES"' },
    { 'env "a" {\n  migration {\n    tx_mode = "never"\n  }\n}\n', nil,
      'atlas.hcl:3:5: migration.tx_mode must be one of file, all, none, got "never"' },
    { 'env "a" {\n  url = ["x"]\n}\n', nil, "atlas.hcl:2:3: url must be a string, got list" },
    { 'env "a" {\n  src = ["x", 1]\n}\n', nil, "atlas.hcl:2:3: src[1] must be a string, got number" },
    { 'locals {\n  a = local.b\n  b = local.a\n}\nenv "x" {\n  url = local.a\n}\n', nil,
      "atlas.hcl:2:3: local.a refers to itself" },
    { 'env "a" {}\nenv "a" {}\n', nil, 'atlas.hcl:2:1: env "a" is defined twice (first at atlas.hcl:1:1)' },
    { 'variable "v" {}\nvariable "v" {\n  default = 1\n}\n', nil,
      'atlas.hcl:2:1: variable "v" is declared twice (first at atlas.hcl:1:1)' },
    { 'env "a" {\n  url = var.nope\n}\n', nil, 'atlas.hcl:2:9: unknown variable "var.nope"' },
    { 'env "a" {\n  url = local.nope\n}\n', nil, 'atlas.hcl:2:9: unknown variable "local.nope"' },
    { 'data "external" "dot" {\n  program = ["cat", ".env"]\n}\nenv "a" {\n  url = data.external.dot\n}\n', nil,
      "atlas.hcl:1:1: data.external.dot: the program's output is not available here "
        .. "(external programs are not run while loading the project)" },
    { 'data "external_schema" "x" {\n  program = "npm run"\n}\n', nil,
      'atlas.hcl:2:3: data "external_schema" "x": program must be a non-empty list of strings' },
    { 'env {\n  url = "x"\n}\n', "dev", "atlas.hcl:1:1: an env block without a label needs a name attribute (name = atlas.env)" },
    { 'env "a" {\n  migration {\n    dir = "atlas://remote"\n  }\n}\n', nil,
      'atlas.hcl:3:5: unsupported migration directory URL "atlas://remote" (only file:// is supported)' },
    { 'env "a" {\n  url = "x"\n', nil, 'atlas.hcl:3:1: expected "}" to close block "env" opened at 1:1, found end of file' },
  }
  for _, c in ipairs(cases) do
    it("reports " .. c[3]:gsub("^atlas.hcl:%d+:%d+: ", ""), function()
      local cfg, msg, code = load_text(c[1], { env = c[2] })
      assert.is_nil(cfg)
      assert.equal(c[3], msg)
      assert.is_truthy(code == "ECONFIG" or code == "EHCL")
    end)
  end

  it("runs data.external only through opts.run_external", function()
    local seen
    local cfg = assert(load_text('data "external" "dot" {\n  program = ["cat", ".env"]\n}\n'
      .. 'env "a" {\n  url = trimspace(data.external.dot)\n}\n', {
        run_external = function(name, rec, dir)
          seen = { name, rec.program, dir }
          return "postgres://from-program\n"
        end,
      }))
    assert.equal("postgres://from-program", cfg.url)
    assert.same({ "dot", { "cat", ".env" }, "." }, seen)
    assert.equal("external://dot", cfg.data.external.dot.url)
  end)

  it("accepts exec_order in either spelling and normalizes it", function()
    for spelling, want in pairs({ NON_LINEAR = "non-linear", ["\"linear-skip\""] = "linear-skip" }) do
      local cfg = assert(load_text('env "a" {\n  migration {\n    exec_order = ' .. spelling .. '\n  }\n}\n'))
      assert.equal(want, cfg.migration.exec_order)
    end
  end)

  it("selects a dynamic env by its name expression", function()
    local text = 'env {\n  name = atlas.env\n  url = "postgres://h/${atlas.env}"\n}\n'
    local cfg = assert(load_text(text, { env = "tenant_1" }))
    assert.equal("tenant_1", cfg.env)
    assert.equal("postgres://h/tenant_1", cfg.url)
    assert.is_nil(cfg.for_each)
    -- a named env wins over the dynamic one
    cfg = assert(load_text('env "x" {\n  url = "named"\n}\n' .. text, { env = "x" }))
    assert.equal("named", cfg.url)
  end)

  it("merges diff policies and keeps format blocks", function()
    local cfg = assert(load_text('diff {\n  skip {\n    drop_table = true\n  }\n}\n'
      .. 'env "a" {\n  diff {\n    concurrent_index {\n      create = true\n    }\n  }\n'
      .. '  format {\n    migrate {\n      apply = "{{ json . }}"\n    }\n  }\n}\n'))
    assert.same({ skip = { drop_table = true }, concurrent_index = { create = true } }, cfg.diff)
    assert.same({ migrate = { apply = "{{ json . }}" } }, cfg.format)
  end)

  it("notes --var values that no variable declares", function()
    local cfg = assert(load_text('env "a" {}\n', { vars = { extra = "1" } }))
    assert.same({ "--var extra is not declared by a variable block; ignored" }, cfg.notes)
    assert.same({}, cfg.vars)
  end)

  it("keeps a null variable default as hcl.null", function()
    local cfg = assert(load_text('variable "v" {\n  default = null\n}\nenv "a" {\n  url = var.v\n}\n'))
    assert.equal(hcl.null, cfg.vars.v)
    assert.is_nil(cfg.url)
  end)
end)

describe("project.dir_path", function()
  it("turns file:// URLs and plain paths into paths under the project dir", function()
    assert.equal("migrations", project.dir_path("file://migrations"))
    assert.equal("migrations", project.dir_path("file://migrations", "."))
    assert.equal("proj/migrations", project.dir_path("file://migrations", "proj"))
    assert.equal("proj/migrations", project.dir_path("file://./migrations", "proj"))
    assert.equal("proj/db/m", project.dir_path("db/m", "proj"))
    assert.equal("/abs/m", project.dir_path("file:///abs/m", "proj"))
    assert.equal("proj/m", project.dir_path("file://m?format=atlas", "proj"))
    assert.equal("proj", project.dir_path("file://.", "proj"))
  end)

  it("refuses other schemes and empty URLs", function()
    local p, msg, code = project.dir_path("atlas://app")
    assert.is_nil(p)
    assert.equal('unsupported migration directory URL "atlas://app" (only file:// is supported)', msg)
    assert.equal("ECONFIG", code)
    assert.is_nil((project.dir_path("")))
  end)
end)
