--- dbhost.db.dev: throwaway "dev" databases for replaying and diffing.
--
--   local dev <close> = assert(devdb.open("docker://postgres/15/dev?search_path=public"))
--   dev.url     -- a libpq URL of an empty database
--   dev.schema  -- "public" when the URL asked for schema scope
--
-- URL forms:
--   docker://postgres/<major>[/<db>]  Docker when an engine answers, else local
--                                     binaries of that major version, else an error
--                                     saying what to install (Atlas's form)
--   local://postgres[/<major>][/<db>] a throwaway local server (no Docker)
--   postgres://... / postgresql://... an existing server: a scratch database is
--                                     created there and dropped afterwards (dev.admin_url
--                                     and dev.dbname say where, for the replay templates)
--
-- devdb.open(url, { nowait = true }): a throwaway local server is spawned and open returns at
-- once; dev:ready() (called by dbhost.db.connect.dev) waits until it accepts connections.
--
-- devdb.open(url, { replay = names }): the dev database is for replaying a migration
-- directory (dbhost.migrate.replay.onto_dev) whose prefixes' templates are named names
-- (replay.template_names). A throwaway local server then starts from the replay snapshot
-- of an earlier run when the cache has one holding one of them (dbhost.db.server), and
-- gets dev.admin_url and dev.dbname like a server that outlives the run, with
-- dev.snapshot = true; when the replay sets dev.keep_snapshot, dev:close() drops every
-- database but the replay templates (the dev database comes back empty), stops the
-- server cleanly and stores its data directory as the new snapshot. Not when
-- DBHOST_NO_CACHE is set, and not when the replay created roles (global objects a
-- replay from an earlier prefix would create again).
local proc = require "dbhost.proc"
local server = require "dbhost.db.server"
local dburl = require "dbhost.db.url"
local pg = require "dbhost.pg"
local connect = require "dbhost.db.connect"

local M = {}

local Dev = {}
Dev.__index = Dev

--- dev:ready() -> true | nil, message: wait for a dev database opened with
-- { nowait = true } to accept connections (true at once for any other); connect.dev calls it
function Dev:ready()
  local pending = self.pending
  if not pending then return true end
  self.pending = nil
  local ok, err = pending()
  if not ok then
    self:close()
    self.failed = tostring(err)
  end
  if self.failed then return nil, self.failed end
  return true
end

--- dev:stop_soon(): a throwaway server starts shutting down now (dev:close() finishes);
-- nothing for other dev databases. The dev database is not to be used after it.
function Dev:stop_soon()
  if self.server and not self.closed and not self.keep_snapshot then self.server:stop_soon() end
end

--- dev:close(): remove what open() made; idempotent
function Dev:close()
  if self.closed then return end
  self.closed = true
  for i = #self.cleanup, 1, -1 do pcall(self.cleanup[i]) end
end
Dev.__close = Dev.close
Dev.__gc = Dev.close

local function new_dev(url, schema)
  return setmetatable({ url = url, schema = schema, cleanup = {} }, Dev)
end

local function docker_answers()
  if not proc.which("docker") then return false end
  local r = proc.run { argv = { "docker", "info", "--format", "{{.ServerVersion}}" }, timeout = 5 }
  return r ~= nil and r.status == 0
end

local function query_of(url)
  return url:match("%?(.*)$") or ""
end

local function schema_of(url)
  local sp = query_of(url):match("search_path=([^&]*)")
  return sp and sp ~= "" and sp or nil
end

-- Create database `name` on the server at admin_url (unless it is "postgres").
local function create_db(admin_url, name)
  if name == "postgres" then return true end
  local conn, err = connect.open(admin_url)
  if not conn then return nil, err end
  local ok, cerr = conn:exec("CREATE DATABASE " .. conn:escape_identifier(name))
  conn:close()
  if not ok then return nil, cerr end
  return true
end

local function with_db(url, db)
  return (url:gsub("^(postgresql:///)[^?]*", "%1" .. db))
end

local function cache_off()
  local off = os.getenv("DBHOST_NO_CACHE")
  return off ~= nil and off ~= "" and off ~= "0"
end

-- Leave in the server only what a replay snapshot keeps (the replay templates, the
-- initdb databases, an empty dev database) and store it; false when it should not be kept.
local function store_snapshot(dev)
  local srv = dev.server
  local admin = connect.open(dev.admin_url, { timeout = 10 })
  if not admin then return false end
  local function q(sql, ...)
    local res = admin:exec(sql, ...)
    return res and res.rows or nil
  end
  -- roles are global: a later replay from an earlier prefix would create them again
  local roles = q("SELECT count(*)::int AS n FROM pg_catalog.pg_roles WHERE rolname <> 'postgres' "
    .. "AND rolname NOT LIKE 'pg\\_%'")
  local ok = roles ~= nil and tonumber(roles[1].n) == 0
  local templates = {}
  for _, r in ipairs(ok and q("SELECT datname, datistemplate AND datname LIKE $1 AS replay "
      .. "FROM pg_catalog.pg_database", require("dbhost.migrate.replay").TEMPLATE_PREFIX .. "%") or {}) do
    if r.replay == "t" or r.replay == true then
      templates[#templates + 1] = r.datname
    elseif r.datname ~= "template0" and r.datname ~= "template1" then
      ok = ok and q("DROP DATABASE IF EXISTS " .. admin:escape_identifier(r.datname) .. " WITH (FORCE)") ~= nil
    end
  end
  -- the server's own database, which the next run's dev URL may name
  if ok then ok = q("CREATE DATABASE postgres TEMPLATE template0") ~= nil end
  admin:close()
  return ok and #templates > 0 and srv:store_snapshot(templates) or false
end

local function open_local(major, db, schema, opts)
  local snapshot = opts.replay and not cache_off()
  local srv, err = server.start { major = major, snapshot = snapshot, nowait = opts.nowait,
                                  templates = type(opts.replay) == "table" and opts.replay or nil }
  if not srv then return nil, err end
  local url = ("postgresql:///postgres?host=%s&user=postgres"):format(srv.socket_dir)
  local dev = new_dev(with_db(url, db), schema)
  dev.server = srv
  -- what was really used, for messages ("local://postgres/15/dev")
  dev.used = ("local://postgres/%d/%s"):format(srv.major, db)
  if snapshot then
    -- the replay templates are cloned while connected to template1 (the dev database may
    -- be "postgres", which a clone replaces)
    dev.admin_url, dev.dbname, dev.snapshot = with_db(url, "template1"), db, true
  end
  dev.cleanup[#dev.cleanup + 1] = function()
    if not (dev.keep_snapshot and store_snapshot(dev)) then srv:stop() end
  end
  local function finish()
    if srv.pending then
      local ok, rerr = srv.pending()
      if not ok then return nil, rerr end
    end
    return create_db(srv.url, db)
  end
  if opts.nowait then
    dev.pending = finish
    return dev
  end
  local ok, cerr = finish()
  if not ok then
    dev:close()
    return nil, tostring(cerr)
  end
  return dev
end

local function open_docker(image, tag, db, schema)
  local run = proc.run { argv = { "docker", "run", "-d", "--rm", "-e", "POSTGRES_PASSWORD",
                                  "-e", "POSTGRES_DB=" .. db, "-p", "127.0.0.1::5432", image .. ":" .. tag },
                         env_add = { POSTGRES_PASSWORD = "pass" }, -- through the environment, never argv
                         timeout = 300 }
  if not run or run.status ~= 0 then
    return nil, "docker run failed: " .. (run and run.stderr or "")
  end
  local id = run.stdout:gsub("%s+$", "")
  local dev = new_dev(nil, schema)
  dev.cleanup[#dev.cleanup + 1] = function() proc.run { argv = { "docker", "rm", "-f", id }, timeout = 60 } end
  local port = proc.run { argv = { "docker", "port", id, "5432/tcp" }, timeout = 30 }
  local p = port and port.stdout:match(":(%d+)")
  if not p then
    dev:close()
    return nil, "cannot find the port of container " .. id
  end
  dev.url = ("postgres://postgres:pass@127.0.0.1:%s/%s?sslmode=disable"):format(p, db)
  dev.used = ("docker://%s/%s/%s"):format(image, tag, db)
  local deadline = proc.now() + 60
  while pg.ping(dev.url) ~= "ok" do
    if proc.now() > deadline then
      dev:close()
      return nil, "the PostgreSQL container did not become ready within 60s"
    end
    proc.sleep(0.05)
  end
  return dev
end

--- devdb.open(url [, opts]) -> dev | nil, message
-- opts.replay: the dev database is for a replay (see above)
function M.open(url, opts)
  opts = opts or {}
  local schema = schema_of(url)
  local scheme, rest = url:match("^([%w+]+)://(.*)$")
  if scheme == "docker" then
    local image, tag, db = rest:match("^([^/?]+)/([^/?]+)/?([^/?]*)")
    if not image then
      return nil, ("dev URL %s: expected docker://postgres/<version>[/<database>]"):format(dburl.redact(url))
    end
    db = db ~= "" and db or "postgres"
    if docker_answers() then return open_docker(image, tag, db, schema) end
    local major = tonumber(tag:match("^(%d+)"))
    if image ~= "postgres" or not major then
      return nil, ("dev URL %s needs Docker (image %s:%s) and no Docker engine answers"):format(dburl.redact(url), image, tag)
    end
    local bindir = server.find_binaries(major)
    if not bindir then
      return nil, ("dev URL %s: no Docker engine answers and PostgreSQL %d is not installed; run 'dbhost install' "
        .. "(or install postgresql-%d), or use local://postgres for the installed version"):format(dburl.redact(url), major, major)
    end
    local dev, err = open_local(major, db, schema, opts)
    if dev then dev.used = dev.used .. " (no Docker engine answered)" end
    return dev, err
  elseif scheme == "local" then
    local what, major, db = rest:match("^([^/?]*)/?(%d*)/?([^/?]*)")
    if what ~= "postgres" then
      return nil, ("dev URL %s: expected local://postgres[/<major>][/<database>]"):format(dburl.redact(url))
    end
    return open_local(tonumber(major), db ~= "" and db or "postgres", schema, opts)
  elseif scheme == "postgres" or scheme == "postgresql" then
    local conninfo = dburl.split_search_path(url)
    local name = ("dbhost_dev_%d_%d"):format(proc.pid(), math.random(1, 1e9))
    local ok, err = create_db(conninfo, name)
    if not ok then return nil, ("cannot create a scratch database on %s: %s"):format(dburl.redact(url), tostring(err)) end
    local scratch = conninfo:gsub("^(postgres[a-z]*://[^/?]*)/?[^?]*", "%1/" .. name)
    local dev = new_dev(scratch, schema)
    -- the server outlives this run: replay keeps templates there (dbhost.migrate.replay)
    dev.admin_url, dev.dbname = conninfo, name
    dev.cleanup[#dev.cleanup + 1] = function()
      local conn = connect.open(conninfo, { timeout = 10 })
      if conn then
        conn:exec("DROP DATABASE IF EXISTS " .. conn:escape_identifier(name) .. " WITH (FORCE)")
        conn:close()
      end
    end
    return dev
  end
  return nil, ("unsupported dev URL %s: use docker://postgres/<version>/dev, local://postgres or a postgres:// URL")
    :format(dburl.redact(url))
end

return M
