-- dbhost migrate lint: lint the latest migration files, or those new against a git base.
local lint = require "dbhost.migrate.lint"

return {
  summary = "Lint the latest migration files (or those new against a git base), as 'atlas migrate lint'",
  usage = "dbhost migrate lint [--latest N | --base REF] [--format text|json|markdown|github] [--trace]",
  description = [[
The files before the linted ones are read first, so rules know which tables
exist. --latest N lints the last N files (default: `latest` of atlas.hcl's lint
block, else 1). --base REF lints the files that do not exist at REF (a branch or
commit) and reports any that sort before REF's latest migration (non-linear
history, DH107). Severities come from atlas.hcl's lint block. --trace also runs
them on a throwaway database (the env's dev URL, or --dev-url).]],
  options = lint.options,
  run = lint.run,
}
