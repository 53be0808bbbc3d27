-- handlers/migrate.lua: the DBSchemaMigration custom resource (Lambda handler "migrate").
--
-- CloudFormation sends Create, Update and Delete; every request gets exactly
-- one answer, a PUT to its pre-signed ResponseURL, before the invocation's
-- deadline:
--   Create, Update  read the credentials (Secrets Manager, or an RDS IAM token
--                   when IamAuth is "true"), connect with TLS, apply the pending
--                   migrations of the function package with dbhost's applier
--                   (Atlas's advisory lock and revisions table, so a retried or
--                   concurrent request applies nothing twice), and answer
--                   SUCCESS with Data {AppliedVersion, FilesApplied}.
--   Update with the same MigrationHash as before: SUCCESS, nothing applied.
--   Delete          SUCCESS without touching the database (migrations are
--                   forward-only; a stack deletion must never be blocked).
--   anything else   FAILED with a short Reason that never holds a secret.
-- Statement, lock and connection timeouts derive from the time left, and a
-- watchdog thread answers FAILED if the work is still running near the deadline.
--
-- The package's atlas.hcl (LAMBDA_TASK_ROOT/atlas.hcl, which bundle-lambda copies;
-- the env named by DBHOST_ENV, else its only env) is honoured as `dbhost apply`
-- honours it, through dbhost.project.workspace.migration_settings: the
-- revisions table's schema (migration.revisions_schema, else the search_path of
-- the env's url), migration.exec_order, migration.baseline, migration.tx_mode and
-- migration.lock_timeout; the migration directory is the env's migration.dir
-- when the package holds it, else migrations/ (where bundle-lambda puts the
-- env's directory), unless DBHOST_MIGRATIONS_DIR names one.
-- Properties read (all strings, as CloudFormation sends them):
--   MigrationHash  the atlas.sum total the template expects (checked against the
--                  function's migrations)       DbSecretArn  the secret (unless IamAuth)
--   DbHost, DbPort, DbName  override the secret's host/port/dbname
--   SslMode        libpq sslmode (default verify-full when the layer carries
--                  share/rds-ca-bundle.pem, else require)
--   DbUser, IamAuth ("true")  connect as DbUser with an RDS IAM token
--   Baseline       a version: on a database without revisions (a first Create on
--                  an existing, non-empty database), that file and the earlier
--                  ones count as applied; wins over migration.baseline
-- Environment: AWS_REGION, the role's AWS_* credentials, LAMBDA_TASK_ROOT,
-- AWS_ENDPOINT_URL_SECRETS_MANAGER / AWS_ENDPOINT_URL, DBHOST_MIGRATIONS_DIR, DBHOST_ENV.
local client = require "dbhost.aws.client"
local secrets = require "dbhost.aws.secrets"
local rds = require "dbhost.aws.rds"
local cfn_response = require "dbhost.aws.cfn_response"
local http = require "dbhost.http"
local fs = require "dbhost.fs"
local connect = require "dbhost.db.connect"
local dburl = require "dbhost.db.url"
local migdir = require "dbhost.migrate.dir"
local executor = require "dbhost.migrate.executor"
local failure = require "dbhost.migrate.failure"
local sumcheck = require "dbhost.migrate.sumcheck"
local errors = require "dbhost.errors"
local project = require "dbhost.project.config"
local workspace = require "dbhost.project.workspace"
local duration = require "dbhost.duration"

local M = {}

M.PROPERTIES = { "MigrationHash", "DbSecretArn", "DbHost", "DbPort", "DbName", "SslMode", "DbUser", "IamAuth",
                 "Baseline" }
M.REASON_LIMIT = 1500
M.CA_BUNDLE = "share/rds-ca-bundle.pem"

local now = http.now

local function log(fmt, ...)
  io.stderr:write(("dbhost: " .. fmt .. "\n"):format(...))
  io.stderr:flush()
end

-- A failure that ends the request with FAILED and this (secret-free) reason.
local function fail(fmt, ...)
  error(errors.new(1, fmt, ...), 0)
end

--- The time plan for one request: the watchdog answers `reserve` seconds before
-- the deadline; the work must end twice as early, so its own FAILED goes first.
function M.budget(deadline, t)
  local total = deadline - t
  local reserve = math.max(0.5, math.min(3, total * 0.1))
  return { watchdog_at = deadline - reserve, work_until = deadline - 2 * reserve }
end

--- Checks the event's shape; returns nil or what is wrong with it.
function M.malformed(event)
  if type(event) ~= "table" then return "the event is not a JSON object" end
  for _, k in ipairs { "RequestType", "ResponseURL", "StackId", "RequestId", "LogicalResourceId" } do
    if type(event[k]) ~= "string" or event[k] == "" then return ("the event has no string %s"):format(k) end
  end
  local t = event.RequestType
  if t ~= "Create" and t ~= "Update" and t ~= "Delete" then
    return ("unknown RequestType %q (expected Create, Update or Delete)"):format(t)
  end
  if event.ResourceProperties ~= nil and type(event.ResourceProperties) ~= "table" then
    return "ResourceProperties is not an object"
  end
  if t ~= "Create" and (type(event.PhysicalResourceId) ~= "string" or event.PhysicalResourceId == "") then
    return ("a %s event must carry its PhysicalResourceId"):format(t)
  end
  return nil
end

--- A stable PhysicalResourceId: the one CloudFormation already knows, else
-- derived from the database's host and name (the same on every retry).
function M.physical_id(event)
  if type(event.PhysicalResourceId) == "string" and event.PhysicalResourceId ~= "" then
    return event.PhysicalResourceId
  end
  local p = type(event.ResourceProperties) == "table" and event.ResourceProperties or {}
  local host = type(p.DbHost) == "string" and p.DbHost ~= "" and p.DbHost or nil
  local name = type(p.DbName) == "string" and p.DbName ~= "" and p.DbName or nil
  if host then return ("dbhost-migrations:%s/%s"):format(host, name or "postgres"):sub(1, 1000) end
  return ("dbhost-migrations:%s"):format(tostring(event.LogicalResourceId or "resource")):sub(1, 1000)
end

local function quote_conninfo(v)
  return "'" .. tostring(v):gsub("[\\']", "\\%0") .. "'"
end

-- "h1:abc=" and "abc=" name the same total
local function same_hash(a, b)
  if type(a) ~= "string" or type(b) ~= "string" then return false end
  return a:gsub("^h1:", "") == b:gsub("^h1:", "")
end

--- Replaces every secret in text with "xxxxx" (the one scrub, dbhost.db.url's; texts of
-- fewer than 4 characters only where they stand as a whole quoted word).
local function scrub(text, secret_values)
  local texts = {}
  for _, v in ipairs(secret_values) do
    if type(v) == "string" and v ~= "" then texts[#texts + 1] = v end
  end
  return dburl.scrub(tostring(text), texts)
end

local function is_dir(path)
  local st = fs.stat(path)
  return st ~= nil and st.type == "directory"
end

--- The function package's project: its atlas.hcl (none is fine: Atlas's
-- defaults), the env DBHOST_ENV names, else the file's only env.
-- Returns config, settings (workspace.migration_settings).
function M.open_project(task_root, getenv)
  getenv = getenv or os.getenv
  local env = getenv("DBHOST_ENV")
  if env == "" then env = nil end
  local config, err = project.load { file = task_root .. "/atlas.hcl", env = env, getenv = getenv }
  if not config then fail("the function's atlas.hcl: %s", tostring(err)) end
  if config.found and not config.env and #(config.envs or {}) > 1 then
    log("note: %s has several envs and DBHOST_ENV names none: none of their settings apply", config.file)
  end
  return config, workspace.migration_settings(config)
end

--- The migration directory: DBHOST_MIGRATIONS_DIR, else the env's migration.dir
-- when the package holds it, else migrations/ (bundle-lambda's layout).
function M.migration_path(task_root, config, getenv)
  local path = (getenv or os.getenv)("DBHOST_MIGRATIONS_DIR")
  if path and path ~= "" then return path end
  local env_dir = config.found and config.migration and config.migration.path
  if env_dir and is_dir(env_dir) then return env_dir end
  return task_root .. "/migrations"
end

-- The migration directory of the function code, validated against atlas.sum
-- and against the MigrationHash the template expects.
local function open_migrations(ctx, props, config)
  local path = M.migration_path(ctx.task_root, config)
  local dir, err = migdir.open(path)
  if not dir then fail("the function's migration directory: %s", tostring(err)) end
  local ok, serr = sumcheck.validate(path, dir.sum_text)
  if not ok then fail("the function's migration directory: %s", serr.summary) end
  if props.MigrationHash ~= nil and not same_hash(props.MigrationHash, dir.total) then
    fail("MigrationHash %s is not the total of the function's atlas.sum (h1:%s): deploy the function code " ..
      "built from the same migration directory (dbhost bundle-lambda)", tostring(props.MigrationHash), dir.total)
  end
  local baseline = props.Baseline
  if baseline ~= nil and baseline ~= "" and not dir.by_version[tostring(baseline)] then
    fail("Baseline %s: no migration file of the function has this version", tostring(baseline))
  end
  return dir
end

-- Connection parameters: properties win over the secret's fields.
local function connection(ctx, props, region, creds, secrets_seen, left)
  local params = { host = props.DbHost, port = props.DbPort, dbname = props.DbName }
  if tostring(props.IamAuth or ""):lower() == "true" then
    if type(props.DbUser) ~= "string" or props.DbUser == "" then fail("IamAuth is \"true\" but DbUser is not set") end
    if not params.host then fail("IamAuth is \"true\" but DbHost is not set") end
    params.user = props.DbUser
    params.password = rds.auth_token { host = params.host, port = params.port or 5432, user = params.user,
                                       region = region, credentials = creds }
  else
    if type(props.DbSecretArn) ~= "string" or props.DbSecretArn == "" then
      fail("neither DbSecretArn nor IamAuth \"true\" is set: no way to get database credentials")
    end
    local text, err = secrets.get_secret_value(props.DbSecretArn, {
      region = region, credentials = creds, timeout = math.max(1, math.min(20, left())),
      connect_timeout = math.max(0.5, math.min(5, left())), cainfo = client.cainfo(),
    })
    if not text then fail("%s", err) end
    local c, cerr = secrets.database_credentials(text, props.DbSecretArn)
    if not c then fail("%s", cerr) end
    secrets_seen[#secrets_seen + 1] = c.password
    params.user = c.username
    params.password = c.password
    params.host = params.host or c.host
    params.port = params.port or c.port
    params.dbname = params.dbname or c.dbname
  end
  secrets_seen[#secrets_seen + 1] = params.password
  if not params.host then fail("no database host: set DbHost (an RDS-managed secret holds no host)") end
  local ca = ctx.layer_root and (ctx.layer_root .. "/" .. M.CA_BUNDLE)
  local has_ca = ca and fs.stat(ca) ~= nil
  local sslmode = props.SslMode ~= nil and props.SslMode ~= "" and props.SslMode or (has_ca and "verify-full" or "require")
  local parts = {
    "host=" .. quote_conninfo(params.host), "port=" .. quote_conninfo(params.port or 5432),
    "dbname=" .. quote_conninfo(params.dbname or "postgres"), "user=" .. quote_conninfo(params.user),
    "password=" .. quote_conninfo(params.password), "sslmode=" .. quote_conninfo(sslmode),
    "application_name='dbhost-lambda'",
  }
  if has_ca then parts[#parts + 1] = "sslrootcert=" .. quote_conninfo(ca) end
  return table.concat(parts, " "), params
end

local function ms(seconds) return ("%dms"):format(math.max(1, math.floor(seconds * 1000))) end

-- Create and Update: apply the pending migrations. Returns Data.
local function migrate(event, ctx, budget, secrets_seen)
  local props = event.ResourceProperties or {}
  local left = function() return budget.work_until - now() end
  local config, settings = M.open_project(ctx.task_root)
  local dir = open_migrations(ctx, props, config)
  local baseline = props.Baseline ~= nil and props.Baseline ~= "" and tostring(props.Baseline) or settings.baseline
  local lock_wait = duration.parse(settings.lock_timeout)
  if not lock_wait then fail("%s: migration.lock_timeout %q is not a duration", config.file, settings.lock_timeout) end
  local last = dir.files[#dir.files]
  if event.RequestType == "Update" and type(event.OldResourceProperties) == "table"
      and props.MigrationHash ~= nil and props.MigrationHash == event.OldResourceProperties.MigrationHash then
    log("Update with an unchanged MigrationHash: nothing to apply")
    return { AppliedVersion = last and last.version or "", FilesApplied = "0" }
  end
  local region, rerr = client.region()
  if not region then fail("%s", rerr) end
  local creds, cerr = client.credentials()
  if not creds then fail("%s", cerr) end
  secrets_seen[#secrets_seen + 1] = creds.secret_key
  secrets_seen[#secrets_seen + 1] = creds.session_token
  local conninfo, params = connection(ctx, props, region, creds, secrets_seen, left)
  if left() <= 0.2 then fail("no time left to connect to the database") end
  local conn, err = connect.open(conninfo, { timeout = math.max(0.2, math.min(30, left())) })
  if not conn then
    fail("cannot connect to %s:%s/%s as %s: %s", params.host, tostring(params.port or 5432),
      params.dbname or "postgres", params.user, err)
  end
  local c <close> = conn -- luacheck: ignore 211 (closed when the handler returns)
  -- every wait on the server ends before the work budget does
  conn:set_timeout(math.max(0.1, left()))
  local ex = executor.new {
    conn = conn, dir = dir, tx_mode = settings.tx_mode or "file",
    schema = settings.revisions_schema, url_schema = settings.url_schema,
    stmt_lock_timeout = ms(math.min(5, math.max(0.1, left() / 4))),
    stmt_timeout = ms(math.max(0.1, left() - 0.3)),
  }
  ex.log = function(ev)
    if ev.kind == "file_done" then log("applied %s (%.0f ms)", ev.file.name, ev.seconds * 1000) end
  end
  ex:lock(math.max(0.1, math.min(left() / 2, lock_wait)))
  local plan = ex:plan { baseline = baseline, exec_order = settings.exec_order }
  local applied = {}
  if #plan.pending > 0 then
    ex.stmt_timeout = ms(math.max(0.1, left() - 0.3))
    local outcome = ex:execute(plan, {})
    for i, f in ipairs(outcome.applied) do applied[i] = f end
    if outcome.failure then
      local text = failure.describe(outcome.failure)
      fail("%s%s", #applied > 0 and ("%d file(s) applied, then "):format(#applied) or "", text)
    end
  end
  ex:unlock()
  local version = #applied > 0 and applied[#applied].version or plan.current or ""
  log("%d file(s) applied; database at version %s", #applied, version ~= "" and version or "(none)")
  return { AppliedVersion = version, FilesApplied = tostring(#applied) }
end

--- handler(event, ctx) -> summary (what the Runtime API receives; CloudFormation
-- reads only the PUT). Raises only when the event cannot be answered at all.
function M.handler(event, ctx)
  local bad = M.malformed(event)
  if bad and (type(event) ~= "table" or type(event.ResponseURL) ~= "string" or event.ResponseURL == "") then
    error("malformed custom-resource event: " .. bad, 0)
  end
  local physical = M.physical_id(event)
  local t0 = now()
  local budget = M.budget(ctx.deadline, t0)
  local cainfo = client.cainfo()
  local function body(status, reason, data)
    return cfn_response.body(event, status, physical, reason, data)
  end
  local secrets_seen = {}
  local wd = http.watchdog {
    at = budget.watchdog_at, url = event.ResponseURL, cainfo = cainfo,
    headers = { { "Content-Type", "" } },
    body = body("FAILED", "dbhost: the migration did not finish before the Lambda deadline " ..
      "(raise the function's Timeout, or apply long migrations outside the deploy)"),
  }
  local status, reason, data = "SUCCESS", nil, nil
  if bad then
    status, reason = "FAILED", "malformed custom-resource event: " .. bad
  elseif event.RequestType == "Delete" then
    reason = nil -- migrations are forward-only: the database stays as it is
  else
    local ok, res = pcall(migrate, event, ctx, budget, secrets_seen)
    if ok then
      data = res
    else
      status = "FAILED"
      reason = errors.message(res)
      if errors.field(res, "message") == nil then reason = "internal error: " .. reason end
      reason = scrub(reason, secrets_seen)
      if #reason > M.REASON_LIMIT then reason = cfn_response.cut_utf8(reason, M.REASON_LIMIT) .. "..." end
    end
  end
  local mine = wd:claim()
  local summary = { Status = status, PhysicalResourceId = physical, RequestType = event.RequestType,
                    Data = data, Reason = reason }
  if not mine then
    log("%s %s: the watchdog answered FAILED (deadline); the work ended later with %s",
      tostring(event.RequestType), tostring(event.LogicalResourceId), status)
    summary.Status, summary.Watchdog = "FAILED", true
    return summary
  end
  local ok, err = cfn_response.send(event.ResponseURL, body(status, reason, data), ctx.deadline - 0.2, cainfo)
  log("%s %s (%s): %s%s", tostring(event.RequestType), tostring(event.LogicalResourceId), physical, status,
    reason and (": " .. reason:gsub("\n", " "):sub(1, 300)) or "")
  if not ok then
    log("could not deliver the answer to CloudFormation: %s", err)
    error("could not deliver the answer to CloudFormation: " .. err, 0)
  end
  return summary
end

M.scrub = scrub
return M
