--- dbhost.migrate.hash: the `dbhost migrate hash` command: atlas.sum written as Atlas does, and
-- the template's MigrationHash.
local hash = require "dbhost.hash"
local fs = require "dbhost.fs"
local cfn = require "dbhost.cfn"
local errors = require "dbhost.errors"
local workspace = require "dbhost.project.workspace"

local M = {}

--- the command's flags
M.options = workspace.with(workspace.template_option,
  { "force", help = "deprecated, accepted for compatibility with Atlas" })

--- hash.run(opts) -> exit status
function M.run(opts)
  local ws = workspace.open(opts)
  -- atlas.sum is one line per file, "<name> h1:<hash>": a name with a line break
  -- or "h1:" in it would write a file that no reader (Atlas's, dbhost's) parses back
  for _, name in ipairs(fs.list(ws.dir) or {}) do
    if name:match("%.sql$") and (name:find("[\r\n]") or name:find("h1:", 1, true)) then
      errors.config("%s/%q: a migration file name must not contain a line break or \"h1:\" "
        .. "(atlas.sum could not be read back): rename the file", ws.dir, name)
    end
  end
  local text, entries = hash.atlas_sum(ws.dir)
  if not text then errors.config("%s", entries) end
  local sum_path = ws.dir .. "/atlas.sum"
  local total = "h1:" .. entries.total
  -- Check the template first, so that a broken template changes nothing.
  local template_hash
  if ws.template then
    local current, err = cfn.read_migration_hash(ws.template, ws.template_resource)
    if current == nil then errors.config("%s", err) end
    template_hash = current
  end
  if fs.read(sum_path) ~= text then
    errors.check(fs.write(sum_path, text))
    io.stdout:write(("wrote %s (%d %s)\n"):format(sum_path, #entries, #entries == 1 and "file" or "files"))
  else
    io.stdout:write(("%s is up to date\n"):format(sum_path))
  end
  if ws.template then
    if template_hash ~= total then
      errors.check(cfn.set_migration_hash(ws.template, total, ws.template_resource))
      io.stdout:write(("set MigrationHash in %s to %s\n"):format(ws.template, total))
    else
      io.stdout:write(("MigrationHash in %s is up to date\n"):format(ws.template))
    end
  end
  return 0
end

return M
