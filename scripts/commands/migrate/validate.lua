-- dbhost migrate validate: check atlas.sum against the migration directory.
local sumcheck = require "dbhost.migrate.sumcheck"
local workspace = require "dbhost.project.workspace"

return {
  summary = "Check atlas.sum against the migration directory (Atlas's checksum errors)",
  usage = "dbhost migrate validate [--dir DIR] [--env NAME]",
  description = [[
Recomputes the directory's hashes and compares them with atlas.sum. On a
difference it names the first file that was added, edited or removed and its
line in atlas.sum, as 'atlas migrate validate' does, and exits 1.]],
  options = workspace.with(),
  run = function(opts)
    local ws = workspace.open(opts)
    sumcheck.require_valid(ws.dir)
    io.stdout:write(("%s/atlas.sum matches the directory\n"):format(ws.dir))
    return 0
  end,
}
