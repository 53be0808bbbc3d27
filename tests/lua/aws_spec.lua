-- aws_spec.lua: the AWS client modules and the migrate handler's pure parts.
local cjson = require "cjson"
local fs = require "dbhost.fs"
local sigv4 = require "dbhost.sigv4"
local client = require "dbhost.aws.client"
local rds = require "dbhost.aws.rds"
local secrets = require "dbhost.aws.secrets"
local cfn_response = require "dbhost.aws.cfn_response"
local runtime = require "dbhost.aws.runtime"
local migrate = require "handlers.migrate"
local helper = require "helper"

local BOTO = cjson.decode((assert(fs.read(helper.source_dir .. "/tests/vectors/aws/botocore.json"))))
local T = 1767323045 -- 2026-01-02T03:04:05Z
local CREDS = { access_key = BOTO.access_key, secret_key = BOTO.secret_key, session_token = BOTO.session_token }

local function params(q)
  local set = {}
  for p in q:gmatch("[^&]+") do set[p] = true end
  return set
end

local function env_of(t) return function(k) return t[k] end end

describe("dbhost.aws.rds", function()
  for _, v in ipairs(BOTO.rds_tokens) do
    it("makes botocore's token for " .. v.host, function()
      local token = rds.auth_token { host = v.host, port = v.port, user = v.user, region = v.region,
                                     credentials = CREDS, time = T }
      local prefix = v.host .. ":" .. math.tointeger(v.port) .. "/?"
      assert.are.equal(prefix, token:sub(1, #prefix))
      assert.are.same(params(v.token:sub(#prefix + 1)), params(token:sub(#prefix + 1)))
    end)
  end
end)

describe("dbhost.aws.client", function()
  it("signs Secrets Manager's GetSecretValue as botocore does", function()
    local v = BOTO.secretsmanager
    local u = client.parse_url(v.url)
    local headers = { { "Host", u.authority } }
    for _, h in ipairs(v.headers) do headers[#headers + 1] = h end
    local r = sigv4.sign { method = "POST", path = u.path, query = u.query, headers = headers, body = v.body,
                           region = v.region, service = "secretsmanager", time = T,
                           access_key = CREDS.access_key, secret_key = CREDS.secret_key,
                           session_token = CREDS.session_token }
    assert.are.equal(v.authorization, r.authorization)
  end)

  it("picks endpoints as AWS SDKs do", function()
    local e = env_of {}
    assert.are.equal("https://secretsmanager.eu-west-1.amazonaws.com/", client.endpoint("Secrets Manager", "secretsmanager", "eu-west-1", e))
    e = env_of { AWS_ENDPOINT_URL = "http://127.0.0.1:1/" }
    assert.are.equal("http://127.0.0.1:1/", client.endpoint("Secrets Manager", "secretsmanager", "x", e))
    e = env_of { AWS_ENDPOINT_URL = "http://127.0.0.1:1/", AWS_ENDPOINT_URL_SECRETS_MANAGER = "http://127.0.0.1:2/p" }
    assert.are.equal("http://127.0.0.1:2/p", client.endpoint("Secrets Manager", "secretsmanager", "x", e))
    e = env_of { AWS_ENDPOINT_URL_SECRETS_MANAGER = "http://127.0.0.1:2/", AWS_IGNORE_CONFIGURED_ENDPOINT_URLS = "true" }
    assert.are.equal("https://secretsmanager.x.amazonaws.com/", client.endpoint("Secrets Manager", "secretsmanager", "x", e))
  end)

  it("reads credentials and the region from the environment", function()
    assert.is_nil((client.credentials(env_of { AWS_ACCESS_KEY_ID = "a" })))
    local c = client.credentials(env_of { AWS_ACCESS_KEY_ID = "a", AWS_SECRET_ACCESS_KEY = "b", AWS_SESSION_TOKEN = "" })
    assert.are.same({ access_key = "a", secret_key = "b" }, c)
    assert.are.equal("eu-west-1", client.region(env_of { AWS_DEFAULT_REGION = "eu-west-1" }))
    local _, _, code = client.region(env_of {})
    assert.are.equal("ENOREGION", code)
  end)

  it("parses URLs", function()
    assert.are.same({ scheme = "http", host = "127.0.0.1", port = 4566, authority = "127.0.0.1:4566", path = "/a/b",
                      query = "x=1&y" }, client.parse_url("http://127.0.0.1:4566/a/b?x=1&y#frag"))
    assert.are.equal("/", client.parse_url("https://h").path)
    assert.is_nil((client.parse_url("ftp://h/")))
  end)
end)

describe("dbhost.aws.secrets", function()
  it("reads RDS's secret shapes", function()
    assert.are.same({ username = "u", password = "p" }, secrets.database_credentials('{"username":"u","password":"p"}', "s"))
    assert.are.same({ username = "u", password = "p", host = "h", port = "6543", dbname = "d" },
      secrets.database_credentials('{"engine":"postgres","username":"u","password":"p","host":"h","port":6543,"dbname":"d"}', "s"))
    assert.are.equal("6543", secrets.database_credentials('{"username":"u","password":"p","port":"6543"}', "s").port)
  end)

  it("refuses other shapes without showing the secret", function()
    local ok, msg = secrets.database_credentials('{"user":"u","password":"hunter2-secret"}', "arn:s")
    assert.is_nil(ok)
    assert.matches("arn:s", msg, 1, true)
    assert.is_nil(msg:find("hunter2", 1, true))
    ok, msg = secrets.database_credentials("hunter2-not-json", "arn:s")
    assert.is_nil(ok)
    assert.is_nil(msg:find("hunter2", 1, true))
  end)
end)

describe("dbhost.aws.cfn_response", function()
  local event = { StackId = "arn:stack", RequestId = "r-1", LogicalResourceId = "DBSchemaMigration" }

  it("copies the request's ids and leaves out empty Data", function()
    local doc = cjson.decode(cfn_response.body(event, "SUCCESS", "pid"))
    assert.are.same({ Status = "SUCCESS", PhysicalResourceId = "pid", StackId = "arn:stack", RequestId = "r-1",
                      LogicalResourceId = "DBSchemaMigration", NoEcho = false }, doc)
  end)

  it("keeps the body within 4,096 bytes, cutting the reason at a character", function()
    for _, unit in ipairs { "x", "é", "\"\\", "\1", "€" } do
      local body = cfn_response.body(event, "FAILED", "pid", unit:rep(6000), { AppliedVersion = "1" })
      assert.is_true(#body <= 4096, unit)
      local doc = cjson.decode(body)
      assert.is_truthy(utf8.len(doc.Reason), unit)
      assert.are.equal("...", doc.Reason:sub(-3))
      assert.is_true(#body > 3000, unit)
    end
  end)
end)

describe("handlers/migrate", function()
  local good = { RequestType = "Create", ResponseURL = "http://127.0.0.1/x", StackId = "s", RequestId = "r",
                 LogicalResourceId = "L", ResourceProperties = { DbHost = "db.example", DbName = "app" } }
  local function with(t)
    local e = {}
    for k, v in pairs(good) do e[k] = v end
    for k, v in pairs(t) do e[k] = v end
    return e
  end

  it("finds what is wrong with an event", function()
    assert.is_nil(migrate.malformed(good))
    assert.matches("RequestType", migrate.malformed(with { RequestType = "Bogus" }))
    assert.matches("ResponseURL", migrate.malformed(with { ResponseURL = 3 }))
    assert.matches("PhysicalResourceId", migrate.malformed(with { RequestType = "Delete" }))
    assert.matches("ResourceProperties", migrate.malformed(with { ResourceProperties = "x" }))
    assert.matches("not a JSON object", migrate.malformed("x"))
  end)

  it("keeps the PhysicalResourceId stable", function()
    assert.are.equal("dbhost-migrations:db.example/app", migrate.physical_id(good))
    assert.are.equal("given", migrate.physical_id(with { PhysicalResourceId = "given" }))
    assert.are.equal("dbhost-migrations:L", migrate.physical_id(with { ResourceProperties = {} }))
  end)

  it("plans the watchdog before the deadline and the work before the watchdog", function()
    local b = migrate.budget(1000, 100)
    assert.are.equal(997, b.watchdog_at)
    assert.are.equal(994, b.work_until)
    b = migrate.budget(104, 100)
    assert.is_true(b.work_until < b.watchdog_at and b.watchdog_at < 104 and b.work_until > 100)
  end)

  it("scrubs secrets from reasons", function()
    assert.are.equal("pw xxxxx and xxxxx", migrate.scrub("pw s3cret and s3cret", { "s3cret" }))
    assert.are.equal("abc", migrate.scrub("abc", { "a" })) -- too short to mean anything
  end)

  it("answers a malformed event it cannot answer by raising", function()
    assert.has_error(function() migrate.handler({ RequestType = "Create" }, { deadline = os.time() + 10 }) end)
  end)
end)

describe("dbhost.aws.runtime", function()
  it("finds a handler in the function code first, then the bundled one", function()
    local tmp = assert(fs.mkdtemp("runtime-spec"))
    assert(fs.mkdir(tmp .. "/scripts")); assert(fs.mkdir(tmp .. "/scripts/handlers"))
    assert(fs.write(tmp .. "/scripts/handlers/migrate.lua", "return { handler = function() return 'mine' end, other = function() return 2 end }"))
    local env = env_of { LAMBDA_TASK_ROOT = tmp }
    local fn, where = runtime.load_handler("migrate", env)
    assert.are.equal("mine", fn())
    assert.are.equal(tmp .. "/scripts/handlers/migrate.lua", where)
    assert.are.equal(2, runtime.load_handler("migrate.other", env)())
    assert(fs.rmtree(tmp))
    fn, where = runtime.load_handler("migrate", env_of { LAMBDA_TASK_ROOT = tmp })
    assert.is_function(fn)
    assert.matches("bundled", where)
  end)

  it("says why a handler cannot be loaded", function()
    assert.matches("_HANDLER is not set", select(2, runtime.load_handler(nil, env_of {})))
    assert.matches("not a handler name", select(2, runtime.load_handler("../x", env_of {})))
    assert.matches('no handler script "nope"', select(2, runtime.load_handler("nope", env_of {})))
    assert.matches('function "nofn"', select(2, runtime.load_handler("migrate.nofn", env_of {})))
  end)
end)

describe("the migrate handler's atlas.hcl", function()
  local root
  before_each(function()
    root = assert(fs.mkdtemp("handler-hcl"))
    assert(fs.mkdir(root .. "/migrations"))
  end)
  after_each(function() fs.rmtree(root) end)
  local function write(name, text)
    local f = assert(io.open(root .. "/" .. name, "w"))
    f:write(text)
    f:close()
  end

  it("without atlas.hcl: Atlas's defaults and migrations/", function()
    local config, s = migrate.open_project(root, env_of {})
    assert.is_false(config.found)
    assert.are.same({ exec_order = "linear", lock_timeout = "10s" }, s)
    assert.are.equal(root .. "/migrations", migrate.migration_path(root, config, env_of {}))
  end)

  it("takes the env DBHOST_ENV names: dir, revisions schema, exec order, baseline, tx mode", function()
    write("atlas.hcl", [[
env "dev" {
  url = "postgres://localhost/dev?search_path=devschema"
}
env "prod" {
  url = "postgres://localhost/prod?search_path=app,public"
  migration {
    dir = "file://db/migrations"
    revisions_schema = "revs"
    exec_order = NON_LINEAR
    baseline = "20240101"
    tx_mode = "all"
    lock_timeout = "3s"
  }
}
]])
    local config, s = migrate.open_project(root, env_of { DBHOST_ENV = "prod" })
    assert.are.equal("prod", config.env)
    assert.are.same({ revisions_schema = "revs", url_schema = "app", exec_order = "non-linear",
                      baseline = "20240101", tx_mode = "all", lock_timeout = "3s" }, s)
    -- the env's directory when the package holds it, else migrations/
    assert.are.equal(root .. "/migrations", migrate.migration_path(root, config, env_of {}))
    assert(fs.mkdir(root .. "/db"))
    assert(fs.mkdir(root .. "/db/migrations"))
    assert.are.equal(root .. "/db/migrations", migrate.migration_path(root, config, env_of {}))
    assert.are.equal("/x", migrate.migration_path(root, config, env_of { DBHOST_MIGRATIONS_DIR = "/x" }))
    -- the url's search_path names the revisions schema when revisions_schema is unset
    local _, dev = migrate.open_project(root, env_of { DBHOST_ENV = "dev" })
    assert.are.equal("devschema", dev.url_schema)
    assert.is_nil(dev.revisions_schema)
  end)

  it("a bad atlas.hcl or an unknown env ends the request with its place", function()
    write("atlas.hcl", 'env "prod" {\n  migration {\n    exec_order = SOMETIMES\n  }\n}\n')
    local ok, err = pcall(migrate.open_project, root, env_of {})
    assert.is_false(ok)
    assert.matches("the function's atlas.hcl: " .. root:gsub("%p", "%%%0") .. "/atlas.hcl:3:5: migration.exec_order",
      err.message)
    write("atlas.hcl", 'env "prod" {\n}\n')
    ok, err = pcall(migrate.open_project, root, env_of { DBHOST_ENV = "staging" })
    assert.is_false(ok)
    assert.matches("staging", err.message, 1, true)
  end)
end)
