--- dbhost.desired: the project's desired schema and the migration directory, as models.
--
-- Shared by create-migrations and check-migrations: both replay the migration
-- directory on one throwaway database and load the desired schema (atlas.hcl's
-- `src`, or --to) into another, then compare the two.
local errors = require "dbhost.errors"
local source = require "dbhost.schema.source"

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

--- desired.load(src, ws, opts) -> model, info | raises a failed error naming the source
function M.load(src, ws, opts)
  local model, info = source.load(src, { dev_url = M.dev_url(ws, opts), dir = ws.config.dir })
  if not model then errors.failed("%s", tostring(info)) end
  return model, info
end

--- desired.replay(ws, opts) -> model of the migration directory after replay | raises
function M.replay(ws, opts)
  return M.load("dir://" .. ws.dir, ws, opts)
end

return M
