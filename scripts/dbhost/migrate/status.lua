--- dbhost.migrate.status: the `dbhost status` / `dbhost migrate status` command.
local errors = require "dbhost.errors"
local executor = require "dbhost.migrate.executor"
local migdir = require "dbhost.migrate.dir"
local revisions = require "dbhost.migrate.revisions"
local connect = require "dbhost.db.connect"
local json = require "dbhost.json"
local workspace = require "dbhost.project.workspace"
local sumcheck = require "dbhost.migrate.sumcheck"

local M = {}

M.options = workspace.with(
  { "url", arg = "URL", help = "database to inspect (default: url of the env in atlas.hcl, else $DATABASE_URL)" },
  { "revisions-schema", arg = "SCHEMA", help = "schema of the revisions table" },
  { "format", arg = "FORMAT", choices = { "text", "json" }, default = "text", help = "output format" }
)

--- status.collect(conn, dir, schema, url_schema) -> status table
function M.collect(conn, dir, schema, url_schema)
  local ex = executor.new { conn = conn, dir = dir, schema = schema, url_schema = url_schema }
  local st = { applied = {}, pending = {}, edited = {}, missing = {} }
  local ok, plan = pcall(ex.plan, ex, { allow_dirty = true, allow_edited = true })
  if not ok then
    if not errors.is(plan) then error(plan, 0) end
    -- the one error object of every command's JSON (errors.document)
    st.error = errors.document(plan).error
    plan = { revisions = ex.store:exists() and ex.store:read_all() or {}, pending = {} }
  end
  local files_by_version = dir.by_version
  local revs = plan.revisions
  -- migrations are named the same way everywhere (apply too): { version=, file= }
  local function named(version, f) return { version = version, file = f and f.name or json.null } end
  for _, r in ipairs(revs) do
    local f = files_by_version[r.version]
    -- a baseline row counts as executed: the database has that version's schema
    st.applied[#st.applied + 1] = named(r.version, f)
    if r.type ~= revisions.BASELINE and not f then st.missing[#st.missing + 1] = named(r.version, nil) end
  end
  local edited = ex:edited(revs)[1]
  if edited then st.edited[1] = named(edited.rev.version, edited.file) end
  for _, f in ipairs(plan.pending) do st.pending[#st.pending + 1] = named(f.version, f) end
  local last = revs[#revs]
  st.current = last and last.version or nil
  st.partial = last and last.applied ~= last.total and {
    version = last.version, applied = last.applied, total = last.total } or nil
  st.last_error = last and last.error and { sql = last.error_stmt, error = last.error } or nil
  st.next = plan.pending[1] and plan.pending[1].version or nil
  st.state = (st.error and "ERROR") or ((#plan.pending > 0) and "PENDING") or "OK"
  if #st.edited > 0 or #st.missing > 0 then st.state = st.state == "OK" and "DRIFT" or st.state end
  return st
end

local function versions(list)
  local out = {}
  for i, m in ipairs(list) do out[i] = m.version end
  return out
end

local function render_text(st)
  local out = { "Migration Status: " .. st.state }
  if st.current then
    out[#out + 1] = ("  -- Current Version: %s%s"):format(st.current,
      st.partial and (" (%d statements applied)"):format(st.partial.applied) or "")
  else
    out[#out + 1] = "  -- Current Version: No migration applied yet"
  end
  if st.error then
    out[#out + 1] = "  -- Next Version:    UNKNOWN"
  elseif st.next then
    out[#out + 1] = ("  -- Next Version:    %s%s"):format(st.next,
      st.partial and (" (%d statements left)"):format(st.partial.total - st.partial.applied) or "")
  else
    out[#out + 1] = "  -- Next Version:    Already at latest version"
  end
  out[#out + 1] = ("  -- Executed Files:  %d%s"):format(#st.applied, st.partial and " (last one partially)" or "")
  out[#out + 1] = ("  -- Pending Files:   %d"):format(#st.pending)
  if #st.edited > 0 then
    out[#out + 1] = ("  -- Edited:          %s was changed after it was applied (it, or a file before it, differs from what ran)")
      :format(st.edited[1].file)
  end
  if #st.missing > 0 then
    out[#out + 1] = "  -- Missing Files:   " .. table.concat(versions(st.missing), ", ") .. " (applied, no longer in the directory)"
  end
  if st.last_error then
    out[#out + 1] = ""
    out[#out + 1] = "Last migration attempt had errors:"
    out[#out + 1] = "  -- SQL:   " .. tostring(st.last_error.sql or "")
    out[#out + 1] = "  -- ERROR: " .. tostring(st.last_error.error)
  end
  if st.error then
    out[#out + 1] = ""
    out[#out + 1] = "  ERROR: " .. st.error.message
  end
  return table.concat(out, "\n") .. "\n"
end

--- status.run(opts) -> status: 0 when the database is up to date and agrees with the directory
function M.run(opts)
  local ws = workspace.open(opts)
  local dir, derr = migdir.open(ws.dir)
  if not dir then errors.config("%s", derr) end
  -- like apply: a directory that does not match atlas.sum has no trustworthy status
  sumcheck.require_valid(ws.dir, dir.sum_text, opts.format == "json")
  local url = connect.url_of(opts, ws)
  local t <close> = connect.target(url)
  local st = M.collect(t.conn, dir, opts.revisions_schema or (ws.config.migration or {}).revisions_schema, t.schema)
  -- the last error recorded in the revisions table may quote the URL's password
  if opts.format == "json" then
    io.stdout:write(connect.scrub(json.encode(st)), "\n")
  else
    io.stdout:write(connect.scrub(render_text(st)))
  end
  return st.state == "OK" and 0 or 1
end

return M
