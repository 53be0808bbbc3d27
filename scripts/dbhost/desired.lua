--- dbhost.desired: the project's desired schema and the migration directory, as models.
--
-- Shared by create-migrations and check-migrations: both replay the migration
-- directory on one throwaway database and load the desired schema (atlas.hcl's
-- `src`, or --to) into another, then compare the two. Besides the schema
-- sources (file://, dir://, postgres://), `src` may name an external_schema data
-- source (data.external_schema.NAME.url): its program prints the SQL, which is
-- how an ORM's schema printer (SQLAlchemy, Prisma, ...) plugs in.
local errors = require "dbhost.errors"
local source = require "dbhost.schema.source"
local proc = require "dbhost.proc"

local M = {}

--- desired.sources(ws, opts) -> { "file://schema.sql", ... }
function M.sources(ws, opts)
  local list = {}
  if opts.to then
    for _, s in ipairs(opts.to) do list[#list + 1] = s end
  else
    for _, s in ipairs(ws.config.src or {}) do list[#list + 1] = s end
  end
  if #list == 0 then
    errors.config("no desired schema: set src in the env of %s (e.g. src = \"file://schema.sql\") or pass --to",
      ws.config.file or "atlas.hcl")
  end
  if #list > 1 then
    errors.config("%d desired-schema sources given; dbhost takes one (a folder of .sql files works)", #list)
  end
  return list[1]
end

--- desired.dev_url(ws, opts) -> the dev URL to use
function M.dev_url(ws, opts)
  return opts.dev_url or ws.config.dev or "local://postgres"
end

-- The SQL an `external_schema` data source prints: its program is run from its argv
-- list (never through a shell) in the project directory.
local function external_sql(name, ws)
  local kinds = ws.config.data and ws.config.data.external_schema
  local rec = kinds and kinds[name]
  if not rec then
    errors.config('%s: no data "external_schema" %q', ws.config.file or "atlas.hcl", name)
  end
  local argv = {}
  for i, a in ipairs(rec.program) do argv[i] = a end
  local r, err = proc.run { argv = argv, cwd = ws.config.dir, timeout = 600 }
  if not r then errors.failed("external_schema %q: %s", name, tostring(err)) end
  if r.status ~= 0 then
    errors.failed("external_schema %q: %s exited with %s:\n%s", name, table.concat(argv, " "),
      r.status and ("status " .. r.status) or ("signal " .. tostring(r.signal)), (r.stderr or ""):gsub("%s+$", ""))
  end
  return r.stdout, ("external_schema.%s (output of %s)"):format(name, argv[1])
end

--- desired.load(src, ws, opts [, keep]) -> model, info | raises a failed error naming the source
-- keep: as source.load's opts.keep (true, or "on_miss" for dir:// sources)
function M.load(src, ws, opts, keep)
  local dev = { dev_url = M.dev_url(ws, opts), dir = ws.config.dir, keep = keep }
  local model, info, code
  local ext = src:match("^external_schema://(.+)$")
  if ext then
    local sql, name = external_sql(ext, ws)
    model, info = source.load_text(name, sql, dev)
  else
    model, info, code = source.load(src, dev)
  end
  if not model then errors.raise_at(code == "ECONFIG" and 2 or 1, { code = code }, "%s", tostring(info)) end
  return model, info
end

--- desired.replay(ws, opts [, keep]) -> model of the migration directory after replay, info | raises
-- keep = "on_miss": when the replay cache does not have it, info.conn and info.dev are the
-- replayed dev database, kept open for desired.replay_more (the caller closes them).
function M.replay(ws, opts, keep)
  return M.load("dir://" .. ws.dir, ws, opts, keep)
end

--- desired.replay_more(ws, opts, info) -> model | raises: the files added to the directory
-- since info's replay, replayed on info's dev database (not the whole directory again)
function M.replay_more(ws, opts, info)
  local m, err = source.replay_more(info, ws.dir, { dev_url = M.dev_url(ws, opts) })
  if not m then errors.failed("%s", tostring(err)) end
  return m
end

return M
