-- dbhost migrate apply: the same command as `dbhost apply`, named as in Atlas.
local apply = require "dbhost.migrate.apply"

return {
  summary = "Apply pending migrations (same as 'dbhost apply')",
  usage = "dbhost migrate apply [--url URL] [--dir DIR] [--env NAME] [--dry-run] [AMOUNT]",
  options = apply.options,
  args = { min = 0, max = 1, name = "[AMOUNT]" },
  run = apply.run,
}
