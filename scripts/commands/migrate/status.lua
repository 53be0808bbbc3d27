-- dbhost migrate status: the same command as `dbhost status`, named as in Atlas.
local status = require "dbhost.migrate.status"

return {
  summary = "Show the migration status of a database (same as 'dbhost status')",
  usage = "dbhost migrate status [--url URL] [--dir DIR] [--env NAME] [--format text|json]",
  options = status.options,
  run = status.run,
}
