--- dbhost.migrate.revisions: Atlas's revisions table, kept exactly as Atlas keeps it.
--
-- The table is <schema>.atlas_schema_revisions, where schema is the URL's
-- search_path schema when it names one, else "atlas_schema_revisions". Its
-- columns, types and defaults match what Atlas (through ent) creates, so a
-- database migrated by dbhost can be continued by Atlas and the other way round.
-- The row ".atlas_cloud_identifier" belongs to Atlas Cloud and is never read.
local json = require "dbhost.json"

local M = {}

M.TABLE = "atlas_schema_revisions"
M.DEFAULT_SCHEMA = "atlas_schema_revisions"
M.CLOUD_ROW = ".atlas_cloud_identifier"

-- Revision types (bit flags)
M.BASELINE, M.EXECUTE, M.RESOLVED = 1, 2, 4

local Store = {}
Store.__index = Store

--- revisions.new(conn, schema) -> store
function M.new(conn, schema)
  local self = setmetatable({ conn = conn, schema = schema or M.DEFAULT_SCHEMA }, Store)
  self.ident = conn:escape_identifier(self.schema) .. "." .. conn:escape_identifier(M.TABLE)
  return self
end

local function check(res, err)
  if not res then error(err, 0) end
  return res
end

--- store:exists() -> bool
function Store:exists()
  local res = check(self.conn:exec(
    "SELECT 1 FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace " ..
    "WHERE n.nspname = $1 AND c.relname = $2 AND c.relkind IN ('r', 'p')", self.schema, M.TABLE))
  return #res.rows > 0
end

--- store:create(): the schema and table as Atlas creates them (if missing)
function Store:create()
  local schema = self.conn:escape_identifier(self.schema)
  check(self.conn:exec(([[
CREATE SCHEMA IF NOT EXISTS %s;
CREATE TABLE IF NOT EXISTS %s (
  "version" character varying NOT NULL,
  "description" character varying NOT NULL,
  "type" bigint NOT NULL DEFAULT 2,
  "applied" bigint NOT NULL DEFAULT 0,
  "total" bigint NOT NULL DEFAULT 0,
  "executed_at" timestamptz NOT NULL,
  "execution_time" bigint NOT NULL,
  "error" text NULL,
  "error_stmt" text NULL,
  "hash" character varying NOT NULL,
  "partial_hashes" jsonb NULL,
  "operator_version" character varying NOT NULL,
  PRIMARY KEY ("version")
)]]):format(schema, self.ident)))
end

local function to_revision(row)
  local partial = nil
  if row.partial_hashes then
    local decoded = json.decode(row.partial_hashes, "partial_hashes")
    if type(decoded) == "table" then partial = decoded end
  end
  return {
    version = row.version,
    description = row.description,
    type = tonumber(row.type),
    applied = tonumber(row.applied),
    total = tonumber(row.total),
    executed_at = row.executed_at,
    executed_epoch = tonumber(row.executed_epoch),  -- seconds, for ordering
    execution_time = tonumber(row.execution_time),
    error = row.error,
    error_stmt = row.error_stmt,
    hash = row.hash,
    partial_hashes = partial,
    operator_version = row.operator_version,
  }
end

--- store:read_all() -> { revision, ... } ordered by version (string order, as Atlas)
function Store:read_all()
  local res = check(self.conn:exec(
    ("SELECT *, extract(epoch FROM executed_at)::float8 AS executed_epoch FROM %s WHERE version <> $1 "
      .. "ORDER BY version COLLATE \"C\""):format(self.ident), M.CLOUD_ROW))
  local list = {}
  for i, row in ipairs(res.rows) do list[i] = to_revision(row) end
  return list
end

-- Atlas's upsert: version, description and executed_at keep their first values.
local UPSERT = [[
INSERT INTO %s AS r (version, description, type, applied, total, executed_at, execution_time,
                     error, error_stmt, hash, partial_hashes, operator_version)
VALUES (%s, %s, %s, %s, %s, now(), %s, %s, %s, %s, %s::jsonb, %s)
ON CONFLICT (version) DO UPDATE SET
  type = EXCLUDED.type, applied = EXCLUDED.applied, total = EXCLUDED.total,
  execution_time = EXCLUDED.execution_time, error = EXCLUDED.error, error_stmt = EXCLUDED.error_stmt,
  hash = EXCLUDED.hash, partial_hashes = EXCLUDED.partial_hashes,
  operator_version = EXCLUDED.operator_version]]

local PREPARED = "dbhost_write_revision"

--- store:prepare(): prepare the upsert once on this connection (the table must
-- exist); upsert_sql then writes a short EXECUTE, parsed and planned once.
function Store:prepare()
  if self.prepared then return end
  -- a connection an earlier store prepared on (a replay continued on it) has the
  -- statement already, perhaps for another table: it is prepared afresh
  local have = check(self.conn:exec("SELECT 1 FROM pg_catalog.pg_prepared_statements WHERE name = $1", PREPARED))
  if #have.rows > 0 then check(self.conn:exec("DEALLOCATE " .. PREPARED)) end
  check(self.conn:exec(("PREPARE %s (text, text, bigint, bigint, bigint, bigint, text, text, text, text, text) AS "
    ):format(PREPARED) .. UPSERT:format(self.ident, "$1", "$2", "$3", "$4", "$5", "$6", "$7", "$8", "$9", "$10", "$11")))
  self.prepared = true
end

--- store:upsert_sql(rev) -> SQL text writing rev (values inlined as literals)
function Store:upsert_sql(rev)
  local conn = self.conn
  local function lit(v)
    if v == nil then return "NULL" end
    if math.type(v) == "integer" then return tostring(v) end
    return conn:escape_literal(tostring(v))
  end
  local partial = rev.partial_hashes and #rev.partial_hashes > 0 and json.encode(rev.partial_hashes) or nil
  local values = { lit(rev.version), lit(rev.description or ""), lit(rev.type or M.EXECUTE), lit(rev.applied or 0),
    lit(rev.total or 0), lit(math.floor(rev.execution_time or 0)), lit(rev.error), lit(rev.error_stmt),
    lit(rev.hash or ""), lit(partial), lit(rev.operator_version or M.operator_version()) }
  if self.prepared then
    return ("EXECUTE %s (%s)"):format(PREPARED, table.concat(values, ", "))
  end
  return UPSERT:format(self.ident, table.unpack(values))
end

--- store:write(rev): upsert the revision
function Store:write(rev)
  check(self.conn:exec(self:upsert_sql(rev)))
end

--- store:delete(version)
function Store:delete(version)
  check(self.conn:exec(("DELETE FROM %s WHERE version = $1"):format(self.ident), version))
end

--- revisions.operator_version() -> "dbhost vX.Y.Z" (Atlas writes "Atlas CLI vX.Y.Z")
function M.operator_version()
  local ok, host = pcall(require, "dbhost.host")
  return "dbhost v" .. ((ok and host.version) or "dev")
end

return M
