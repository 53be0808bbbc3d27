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
local executor = require "dbhost.migrate.executor"
local revisions = require "dbhost.migrate.revisions"

local M = {}

--- replay.run(conn, dir [, opts]) -> result | nil, message, code, failure
-- opts.schema: the revisions schema (default atlas_schema_revisions). result is the
-- executor's; on a failed statement the message names file, line and column, the
-- statement, the SQLSTATE and the server's message and hint, code is the SQLSTATE and
-- failure the executor's failure record.
function M.run(conn, dir, opts)
  opts = opts or {}
  local ex = executor.new { conn = conn, dir = dir, schema = opts.schema or revisions.DEFAULT_SCHEMA }
  local ok, result = pcall(function() return ex:execute(ex:plan {}) end)
  if not ok then
    local msg = type(result) == "table" and result.message or tostring(result)
    return nil, "replaying " .. tostring(dir.path) .. ": " .. tostring(msg), "EREPLAY"
  end
  if result.failure then
    local text = require("dbhost.migrate.apply").describe_failure(result.failure)
    local err = result.failure.err
    return nil, text, type(err) == "table" and err.sqlstate or "EREPLAY", result.failure
  end
  return result
end

return M
