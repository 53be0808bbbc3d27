-- dbhost status: what is applied, pending or partially applied, and whether the directory agrees.
local status = require "dbhost.migrate.status"

return {
  summary = "Show applied, pending and partially applied migrations of a database",
  usage = "dbhost status [--url URL] [--dir DIR] [--env NAME] [--format text|json]",
  description = [[
Exit status 0 when the database is at the latest version and agrees with the
directory; 1 when files are pending, partially applied, edited after they were
applied, or missing from the directory.]],
  options = status.options,
  run = status.run,
}
