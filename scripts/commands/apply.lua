-- dbhost apply: apply pending migrations to a database, safely.
local apply = require "dbhost.migrate.apply"

return {
  summary = "Apply pending migrations to a database (locking, per-file transactions, checksums)",
  usage = "dbhost apply [--url URL] [--dir DIR] [--env NAME] [--dry-run] [AMOUNT]",
  description = [[
Validates atlas.sum, takes the same advisory lock as Atlas (so dbhost and Atlas
never run at once), and applies the pending files, each in its own transaction
unless --tx-mode or a file's `-- atlas:txmode none` directive says otherwise.
The revisions table is Atlas's (atlas_schema_revisions), so Atlas can continue
where dbhost stopped and the other way round. AMOUNT limits how many files run.
On a terminal it shows progress; piped, it prints one summary line.]],
  options = apply.options,
  args = { min = 0, max = 1, name = "[AMOUNT]" },
  run = apply.run,
}
