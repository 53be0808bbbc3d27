--- dbhost.schema.source: a schema model from where a schema is described.
--
--   local source = require "dbhost.schema.source"
--   local m, info = assert(source.load("file://schema.sql", { dev_url = "local://postgres" }))
--
-- Sources:
--   postgres://... / postgresql://...  a database, inspected directly (a
--                                      `search_path=` parameter limits it to that schema)
--   file://PATH.sql                    SQL run on a throwaway dev database
--   file://DIR                         every *.sql file of DIR, in byte order of name
--   dir://DIR                          a migration directory, replayed by
--                                      dbhost.migrate.replay (the executor: txmode,
--                                      checkpoints and transactions as `apply`)
-- SQL files are executed statement by statement (split by dbhost.sql), so an error
-- names FILE:LINE:COL and the SQLSTATE.
--
-- opts: dev_url (default "local://postgres"), schemas (list), keep = true to
-- get info.dev and info.conn back open (the caller closes them; the diff
-- command applies its plan there to verify it). For dir:// on a throwaway server of
-- this run (not a postgres:// dev URL), opts.pause = { version = V | nil, at = fn }
-- stops the replay after version V (before the first file when nil), calls fn(dev)
-- while no session is open on the dev database (so fn may copy it with CREATE
-- DATABASE ... TEMPLATE), then replays the rest: check-migrations traces the new
-- files on such a copy instead of starting a second server (dbhost.linter.check_step).
local fs = require "dbhost.fs"
local url = require "dbhost.db.url"
local errors = require "dbhost.errors"
local devdb = require "dbhost.db.dev"
local connect = require "dbhost.db.connect"
local run = require "dbhost.db.run"
local migrate_dir = require "dbhost.migrate.dir"
local inspect = require "dbhost.schema.inspect"
local replay = require "dbhost.migrate.replay"

local M = {}

local cache_parts

M.DEFAULT_DEV_URL = "local://postgres"

-- The .sql files a file:// source names, in byte order.
local function sql_files(path)
  local st = fs.stat(path)
  if not st then return nil, ("schema source %s: no such file or directory"):format(path) end
  if st.type ~= "directory" and st.type ~= "dir" then return { path } end
  local names = fs.list(path) or {}
  table.sort(names)
  local out = {}
  for _, n in ipairs(names) do
    if n:match("%.sql$") then out[#out + 1] = path .. "/" .. n end
  end
  if #out == 0 then return nil, ("schema source %s: the directory has no .sql files"):format(path) end
  return out
end

local function open_dev(opts, replay_dir)
  -- a migration directory's replay may start from the replay snapshot of a throwaway
  -- local server (dbhost.db.dev); not a dev database kept open to verify a plan on
  local names = replay_dir and opts.keep ~= true and replay.template_names(replay_dir) or nil
  local dev, err = devdb.open(opts.dev_url or M.DEFAULT_DEV_URL, { replay = names })
  if not dev then return nil, "opening the dev database: " .. tostring(err) end
  local conn, cerr = connect.dev(dev)
  if not conn then
    dev:close()
    return nil, cerr
  end
  return dev, conn
end

-- What besides the content decides a loaded model: the dev database and the schemas asked for.
cache_parts = function(opts, parts)
  local out = { opts.dev_url or M.DEFAULT_DEV_URL, table.concat(opts.schemas or {}, ",") }
  for _, p in ipairs(parts) do out[#out + 1] = p end
  return out
end

-- Run a list of { name, text } scripts (or, with scripts.dir, replay that migration
-- directory) on a fresh dev database and inspect it.
local function load_scripts(scripts, opts, info)
  local dev, conn = open_dev(opts, scripts.dir)
  if not dev then return nil, conn end
  local function fail(msg)
    conn:close()
    dev:close()
    return nil, msg
  end
  if scripts.dir then
    conn:close()
    local rconn, err
    if opts.pause and (not dev.admin_url or dev.snapshot) then
      -- a throwaway server of this run: the trace copies the state at the pause
      rconn, err = replay.onto_dev(dev, scripts.dir, opts.pause)
    else
      rconn, err = replay.onto_dev(dev, scripts.dir)
    end
    if not rconn then
      dev:close()
      return nil, err
    end
    conn, info.reused = rconn, err
  end
  for _, s in ipairs(scripts) do
    local ok, err = run.batch(conn, s.text, s.name)
    if not ok then return fail(err) end
  end
  local schemas = opts.schemas or (dev.schema and { dev.schema }) or nil
  local m, err = inspect.inspect(conn, { schemas = schemas })
  if not m then return fail("inspecting the dev database: " .. errors.message(err)) end
  info.used = dev.used
  if opts.keep then
    info.dev, info.conn = dev, conn
  else
    conn:close()
    dev:close()
  end
  return m, info
end

--- source.load_text(name, text, opts) -> model, info | nil, message
-- SQL text from elsewhere (an ORM's schema printer), run on a throwaway dev
-- database and inspected; errors name `name`, line and column.
function M.load_text(name, text, opts)
  opts = opts or {}
  local function build() return load_scripts({ { name = name, text = text } }, opts, { kind = "text", name = name }) end
  if opts.keep then return build() end
  return replay.cached_model("schema", cache_parts(opts, { name, text }), build)
end

--- source.replay_more(info, path, opts) -> model, info | nil, message
-- info is what load("dir://...", { keep = ... }) kept open: the files of the migration
-- directory at path that are not applied there yet (those added since) are replayed on it
-- (the executor runs the pending files only), and it is inspected again; the model is
-- stored in the replay cache under the directory's new total.
function M.replay_more(info, path, opts)
  opts = opts or {}
  local d, err = migrate_dir.open(path)
  if not d then return nil, ("migration directory %s: %s"):format(path, tostring(err)) end
  local ok, rerr = replay.run(info.conn, d)
  if not ok then return nil, rerr end
  local schemas = opts.schemas or (info.dev.schema and { info.dev.schema }) or nil
  return replay.cached_model("replay", cache_parts(opts, { d.total }), function()
    local m, ierr = inspect.inspect(info.conn, { schemas = schemas })
    if not m then return nil, "inspecting the dev database: " .. errors.message(ierr) end
    return m, { kind = "dir", files = d.files }
  end)
end

--- source.load_pair(src_a, opts_a, src_b, opts_b [, meanwhile]) -> model_a, info_a, model_b, info_b
-- Both sources at once (their inspections overlap; meanwhile() runs while their servers
-- work, see inspect.inspect_many); on failure of either: nil, message, code, which (1 or
-- 2) (what the other opened with opts.keep is closed).
function M.load_pair(src_a, opts_a, src_b, opts_b, meanwhile)
  local r = inspect.inspect_many({
    function() return M.load(src_a, opts_a) end,
    function() return M.load(src_b, opts_b) end,
  }, meanwhile)
  local function close(info)
    if type(info) == "table" and info.conn then info.conn:close() info.dev:close() end
  end
  for i = 1, 2 do
    if not r[i][1] then
      close(r[3 - i][3])
      error(r[i][2], 0)
    end
    if not r[i][2] then
      close(r[3 - i][3])
      return nil, r[i][3], r[i][4], i
    end
  end
  return r[1][2], r[1][3], r[2][2], r[2][3]
end

--- source.load(src, opts) -> model, info | nil, message, code
-- code "ECONFIG": the source itself is wrong (unknown kind, no such file)
-- info = { kind = "database"|"file"|"dir", files = {...}, dev =, conn = (opts.keep) }
function M.load(src, opts)
  opts = opts or {}
  if src:match("^postgres[a-z]*://") then
    local conn, schema = connect.open(src)
    if not conn then return nil, ("cannot connect to %s: %s"):format(url.redact(src), schema) end
    local schemas = opts.schemas or (schema and { schema }) or nil
    local m, ierr = inspect.inspect(conn, { schemas = schemas })
    conn:close()
    if not m then return nil, ("inspecting %s: %s"):format(url.redact(src), url.scrub(errors.message(ierr), src)) end
    return m, { kind = "database", url = url.redact(src) }
  end
  local path = src:match("^file://(.*)$")
  if path then
    local files, err = sql_files(path)
    if not files then return nil, err, "ECONFIG" end
    local scripts, parts = {}, {}
    for i, f in ipairs(files) do
      local text, rerr = fs.read(f)
      if not text then return nil, ("reading %s: %s"):format(f, tostring(rerr)) end
      scripts[i] = { name = f, text = text }
      parts[#parts + 1] = f
      parts[#parts + 1] = text
    end
    local function build() return load_scripts(scripts, opts, { kind = "file", files = files }) end
    if opts.keep then return build() end
    return replay.cached_model("schema", cache_parts(opts, parts), build)
  end
  path = src:match("^dir://(.*)$")
  if path then
    local d, err = migrate_dir.open(path)
    if not d then return nil, ("migration directory %s: %s"):format(path, tostring(err)), "ECONFIG" end
    local function build() return load_scripts({ dir = d }, opts, { kind = "dir", files = d.files }) end
    if opts.keep == true then return build() end
    -- keep = "on_miss": from the cache when it has it, else replayed and kept open
    return replay.cached_model("replay", cache_parts(opts, { d.total }), build)
  end
  return nil, ("unsupported schema source %q: use a postgres:// URL, file://PATH or dir://PATH"):format(url.redact(src)), "ECONFIG"
end

return M
