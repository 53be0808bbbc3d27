-- dbhost lint: lint SQL files (outside a migration directory too), for editors and tools.
local lint_files = require "dbhost.linter.lint_files"

return {
  summary = "Lint SQL migration files for locking, rewrite and compatibility hazards",
  usage = "dbhost lint [--pg-version N] [--tx-mode file|none] [--format text|json|markdown|github] [--trace] FILE...",
  description = [[
Each statement is parsed by PostgreSQL 15's parser (libpg_query) and checked by
the rules in scripts/dbhost/lint/ (Atlas's codes DS, MF, BC, CD, PG, NM; squawk's
rule names; dbhost's DH codes). Files are linted in the order given ("-" is
standard input); each sees what the earlier ones created. `-- atlas:nolint [CODE...]`, `-- squawk-ignore
NAME` and `-- squawk-ignore-file` are honoured. Severities come from atlas.hcl's
lint block when a project file is present (--config). `dbhost lint --rules`
lists every rule.

--trace also runs the files on a throwaway database (--dev-url, default
local://postgres) with a few rows in every table and reports the locks each
statement took, the tables it rewrote and scanned.

Exit status: 0 no error finding, 1 an error finding, 2 usage or config error.]],
  options = lint_files.options,
  args = { min = 0, name = "one or more SQL files" },
  run = lint_files.run,
}
