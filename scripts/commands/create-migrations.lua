-- dbhost create-migrations: write the migration that takes the directory to the desired schema.
local create = require "dbhost.migrate.create"

return {
  summary = "Write the next migration: diff the desired schema against the replayed directory",
  usage = "dbhost create-migrations [NAME] [--env NAME] [--to SRC] [--dev-url URL]",
  description = [[
Replays the migration directory on one throwaway database, loads the desired
schema (src of the env in atlas.hcl, or --to) into another, and diffs them. No
change: says so, writes nothing, exits 0. Otherwise writes
DIR/<UTC YYYYMMDDHHMMSS>_<NAME>.sql, updates atlas.sum and the template's
MigrationHash, then replays the new directory and checks that it now matches
the desired schema (else it removes what it wrote and fails). Renames are never
guessed: a renamed column shows as drop + add, and the output says so.]],
  options = create.options,
  args = { min = 0, max = 1, name = "[NAME]" },
  run = create.run,
}
