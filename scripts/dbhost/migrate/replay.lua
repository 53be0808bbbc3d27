--- dbhost.migrate.replay: the one replay of a migration directory onto a database.
--
--   local replay = require "dbhost.migrate.replay"
--   local result, err, code = replay.run(conn, dir)     -- dir from dbhost.migrate.dir.open
--
-- Every command that needs "the schema the migration directory produces" comes here:
-- check-migrations, create-migrations (and its self-check), `dir://` schema sources and
-- the fixtures' template. The files run through dbhost.migrate.executor exactly as
-- `dbhost apply` runs them on a real database: each file in its own transaction,
-- `-- atlas:txmode none` files statement by statement, starting from the last
-- checkpoint file, with the revisions table in its own schema (never part of the
-- inspected schema). So a wrong txmode split or a broken checkpoint fails here first.
--
-- The replay cache: what a replay produces depends only on the files (the atlas.sum total
-- covers every name and byte), the dev database and the inspector, so the inspected model
-- of a replayed directory is kept under the cache directory (DBHOST_CACHE_DIR, else
-- $XDG_CACHE_HOME/dbhost) keyed by the sha256 of those, and so is a desired schema's
-- model, keyed by its content. An unchanged project is then checked without replaying
-- anything (replay.cached_model). DBHOST_NO_CACHE=1 turns it off.
local executor = require "dbhost.migrate.executor"
local revisions = require "dbhost.migrate.revisions"
local hash = require "dbhost.hash"
local fs = require "dbhost.fs"
local connect = require "dbhost.db.connect"
local errors = require "dbhost.errors"
local failure = require "dbhost.migrate.failure"
local proc = require "dbhost.proc"

local M = {}

--- replay.run(conn, dir [, opts]) -> result | nil, message, code, failure
-- opts.schema: the revisions schema (default atlas_schema_revisions), opts.to_version:
-- the last version to apply (default: all). result is the
-- executor's; on a failed statement the message names file, line and column, the
-- statement, the SQLSTATE and the server's message and hint, code is the SQLSTATE and
-- failure the executor's failure record.
function M.run(conn, dir, opts)
  opts = opts or {}
  local ex = executor.new { conn = conn, dir = dir, schema = opts.schema or revisions.DEFAULT_SCHEMA }
  local ok, result = pcall(function() return ex:execute(ex:plan { to_version = opts.to_version }) end)
  if not ok then
    return nil, "replaying " .. tostring(dir.path) .. ": " .. errors.message(result), "EREPLAY"
  end
  if result.failure then
    local text = failure.describe(result.failure)
    return nil, text, errors.sqlstate(result.failure.err) or "EREPLAY", result.failure
  end
  return result
end

-- ------------------------------------------------------------------ templates

M.TEMPLATE_PREFIX = "dbhost_rpl_"
local KEEP_OTHER_TEMPLATES = 2
-- In a replay snapshot (a throwaway local server kept in the cache, dbhost.db.dev) the
-- templates of the directory's own prefixes are bounded too: the longest two (the whole
-- directory and the one before, which an edit of the newest file starts from).
local KEEP_OWN_IN_SNAPSHOT = 2
-- A throwaway server is kept as a snapshot only when the files replayed this time took at
-- least this long: storing (a clean shutdown and a copy of its data directory) and
-- starting from it cost a fraction of a second on a small directory, which replays in less.
M.SNAPSHOT_MIN_SECONDS = 1

-- The template name of each prefix of the directory: [k] names the state after files 1..k
-- (a running sha256 over their names and hashes, so any edit changes every later name).
local function prefix_names(dir)
  local names, running = {}, "dbhost replay"
  for k, f in ipairs(dir.files) do
    running = hash.hex(hash.sha256(running .. "\0" .. f.name .. "\0" .. tostring(f.hash)))
    names[k] = M.TEMPLATE_PREFIX .. running:sub(1, 20)
  end
  return names
end

--- replay.template_names(dir) -> the names of the replay templates of dir's prefixes
M.template_names = prefix_names

local function ok_exec(conn, sql, ...)
  local res, err, code = conn:exec(sql, ...)
  if not res then return nil, errors.message(err), code end
  return res
end

--- replay.onto_dev(dev, dir) -> conn, note | nil, message, code
-- Replay dir into the dev database of dev (from dbhost.db.dev). On a server that outlives
-- the run (dev.admin_url: a postgres:// dev URL) the replayed directory is kept as a
-- template database, and a later replay starts from a clone of the template of the longest
-- prefix of the directory found there (CREATE DATABASE ... TEMPLATE), so that only the
-- files after it run (dbhost.db.connect opens the dev database, again after cloning).
-- A throwaway local server opened for a replay (dev.snapshot, from devdb.open(url,
-- { replay = replay.template_names(dir) })) is treated the same way: it started from the snapshot of an earlier
-- run's server, and when the files run this time took SNAPSHOT_MIN_SECONDS or more,
-- dev.keep_snapshot asks dev:close() to store it again with the new template.
-- note says what was reused.
-- pause = { version = V | nil, at = fn } (check-migrations' lint trace): the replay stops
-- after the files up to version V (none when nil), pause.at(dev) is called with no
-- connection open on the dev database (it copies that state), and the replay goes on; a
-- template is then used only up to that point.
function M.onto_dev(dev, dir, pause)
  -- the files up to the pause
  local pause_k
  if pause then
    pause_k = 0
    for k, f in ipairs(dir.files) do
      if pause.version and f.version <= pause.version then pause_k = k end
    end
  end
  local function run_paused(conn)
    if pause then
      local ok, rerr, code = true, nil, nil
      if pause_k > 0 then ok, rerr, code = M.run(conn, dir, { to_version = pause.version }) end
      if not ok then return nil, rerr, code end
      conn:close()
      pause.at(dev)
      local err
      conn, err = connect.dev(dev.url)
      if not conn then return nil, err end
    end
    local ok, rerr, code = M.run(conn, dir)
    if not ok then conn:close() return nil, rerr, code end
    return conn
  end
  if not dev.admin_url then
    local conn, err = connect.dev(dev.url)
    if not conn then return nil, err end
    return run_paused(conn)
  end
  local names = prefix_names(dir)
  local admin, aerr = connect.dev(dev.admin_url)
  if not admin then return nil, aerr end
  local function fail(...) admin:close() return nil, ... end
  local res, err, code = ok_exec(admin, "SELECT datname FROM pg_catalog.pg_database WHERE datistemplate AND datname "
    .. "LIKE $1 ORDER BY oid DESC", M.TEMPLATE_PREFIX .. "%")
  if not res then return fail(err, code) end
  local have = {}
  for i, r in ipairs(res.rows) do have[r.datname] = i end
  local from_k = 0
  for k = math.min(#names, pause_k or #names), 1, -1 do
    if have[names[k]] then from_k = k break end
  end
  local scratch = admin:escape_identifier(dev.dbname)
  -- a throwaway server (fsync off, wal_level minimal) copies a big template's files
  -- faster than it logs every block of them (PostgreSQL 15's default)
  local strategy = dev.snapshot and dev.server and dev.server.major >= 15 and " STRATEGY FILE_COPY" or ""
  local note
  if from_k > 0 then
    -- the empty scratch database becomes a clone of the template
    res, err, code = ok_exec(admin, "DROP DATABASE IF EXISTS " .. scratch .. " WITH (FORCE)")
    if res then
      res, err, code = ok_exec(admin, ("CREATE DATABASE %s TEMPLATE %s%s"):format(scratch,
        admin:escape_identifier(names[from_k]), strategy))
    end
    if not res then return fail(err, code) end
    note = ("%d of %d files from a template%s"):format(from_k, #names,
      dev.snapshot and " (kept in the cache by an earlier run)" or "")
  end
  local conn
  conn, err = connect.dev(dev.url)
  if not conn then return fail(err) end
  local t0 = proc.now()
  local rerr, rcode
  conn, rerr, rcode = run_paused(conn)
  if not conn then return fail(rerr, rcode) end
  local took = proc.now() - t0
  -- a throwaway server's new template is worth making only if the server is kept
  if #names > 0 and from_k < #names and (not dev.snapshot or took >= M.SNAPSHOT_MIN_SECONDS) then
    -- keep this state as the template of the whole directory (the scratch database must
    -- have no connection while it is copied)
    conn:close()
    local tpl = admin:escape_identifier(names[#names])
    res = ok_exec(admin, ("CREATE DATABASE %s TEMPLATE %s%s"):format(tpl, scratch, strategy))
    if res then res = ok_exec(admin, "ALTER DATABASE " .. tpl .. " IS_TEMPLATE true") end
    if res and dev.snapshot then dev.keep_snapshot = true end
    -- the templates of this directory's prefixes stay (in a snapshot, the longest
    -- KEEP_OWN_IN_SNAPSHOT), and a few others (another branch)
    local mine = {}
    for k, n in ipairs(names) do mine[n] = k end
    local listed = res and ok_exec(admin, "SELECT datname FROM pg_catalog.pg_database WHERE datname LIKE $1 "
      .. "ORDER BY oid DESC", M.TEMPLATE_PREFIX .. "%")
    local own = {}
    for _, r in ipairs(listed and listed.rows or {}) do
      if mine[r.datname] then own[#own + 1] = mine[r.datname] end
    end
    table.sort(own, function(a, b) return a > b end)
    local keep_own = {}
    for i, k in ipairs(own) do
      if not dev.snapshot or i <= KEEP_OWN_IN_SNAPSHOT then keep_own[names[k]] = true end
    end
    local others = 0
    for _, r in ipairs(listed and listed.rows or {}) do
      if not mine[r.datname] then others = others + 1 end
      if (mine[r.datname] and not keep_own[r.datname]) or (not mine[r.datname] and others > KEEP_OTHER_TEMPLATES) then
        local q = admin:escape_identifier(r.datname)
        ok_exec(admin, "ALTER DATABASE " .. q .. " IS_TEMPLATE false")
        ok_exec(admin, "DROP DATABASE IF EXISTS " .. q .. " WITH (FORCE)")
      end
    end
    conn, err = connect.dev(dev.url)
    if not conn then return fail(err) end
  end
  admin:close()
  return conn, note
end

-- ------------------------------------------------------------------ models

-- Bump when what is stored changes shape.
local CACHE_FORMAT = "models-v1"

local fingerprint, prune

-- What the stored models depend on in dbhost itself: the inspector's queries and code.
local function engine_fingerprint()
  if fingerprint then return fingerprint end
  local inspect = require "dbhost.schema.inspect"
  local parts = {}
  local keys = {}
  for k in pairs(inspect.queries) do keys[#keys + 1] = k end
  table.sort(keys)
  for _, k in ipairs(keys) do parts[#parts + 1] = k .. "=" .. tostring(inspect.queries[k]) end
  local src = debug.getinfo(inspect.inspect, "S").source
  if src:sub(1, 1) == "@" then
    parts[#parts + 1] = fs.read(src:sub(2)) or src
  else
    -- bundled into the binary: every build of it counts as another inspector
    local exe = fs.stat("/proc/self/exe")
    parts[#parts + 1] = exe and (exe.size .. ":" .. exe.mtime) or "?"
  end
  parts[#parts + 1] = src
  fingerprint = hash.hex(hash.sha256(table.concat(parts, "\0")))
  return fingerprint
end

local function cache_path(kind, parts)
  local key = { CACHE_FORMAT, engine_fingerprint(), kind }
  for _, p in ipairs(parts) do key[#key + 1] = tostring(p) end
  local digest = hash.hex(hash.sha256(table.concat(key, "\0")))
  return ("%s/models/%s-%s.json"):format(require("dbhost.db.server").cache_dir(), kind, digest:sub(1, 32))
end

-- Keep the newest CACHE_KEEP models of the cache directory dir, remove the others.
local CACHE_KEEP = 40
prune = function(dir)
  local names = fs.list(dir) or {}
  if #names <= CACHE_KEEP then return end
  local entries = {}
  for _, n in ipairs(names) do
    local st = fs.stat(dir .. "/" .. n)
    if st and n:match("%.json$") then entries[#entries + 1] = { name = n, mtime = st.mtime } end
  end
  table.sort(entries, function(a, b) return a.mtime > b.mtime end)
  for i = CACHE_KEEP + 1, #entries do fs.remove(dir .. "/" .. entries[i].name) end
end

--- replay.cached_model(kind, parts, build) -> model, info | nil, message, code
-- The model stored for (kind, parts), else build() -> model, info (stored when it succeeds).
-- kind names what it is ("replay": a migration directory, "schema": a desired schema);
-- parts are strings that together determine the model (the atlas.sum total or the source
-- text, the dev URL, the schemas). info.cached = true when it came from the cache.
function M.cached_model(kind, parts, build)
  local off = os.getenv("DBHOST_NO_CACHE")
  if off and off ~= "" and off ~= "0" then return build() end
  local cjson = require "cjson"
  local path = cache_path(kind, parts)
  local text = fs.read(path)
  if text then
    local ok, m = pcall(cjson.decode, text)
    if ok and type(m) == "table" and type(m.tables) == "table" then
      return m, { cached = true, kind = kind }
    end
  end
  local m, info, code = build()
  if not m then return nil, info, code end
  local ok, encoded = pcall(cjson.encode, m)
  if ok then
    local dir = path:match("^(.*)/")
    fs.mkdir(dir, tonumber("700", 8))
    fs.write(path, encoded)   -- a cache: failing to store is not an error
    prune(dir)
  end
  return m, info
end

return M
