-- dbhost check-migrations: prove that the migration directory, its hashes and the template agree.
local check = require "dbhost.migrate.check"

return {
  summary = "Check MigrationHash, atlas.sum and the migrations (pre-commit hook and CI)",
  usage = "dbhost check-migrations [--dir DIR] [--env NAME] [--format text|markdown|json]",
  description = [[
Steps, each shown with its outcome and time (exit 1 if any fails, 2 for a
configuration error such as a schema source without file://; a step after a
failed one is skipped):
  1. MigrationHash in the CloudFormation template equals the atlas.sum total;
  2. atlas.sum matches the migration directory (Atlas's checksum rules);
  3. the migrations replay cleanly on a throwaway database (the env's dev URL:
     docker://postgres/15/dev runs a local PostgreSQL 15 when no Docker engine
     answers; --dev-url overrides); a failure names file, line, column and SQLSTATE;
  4. the replayed schema equals the desired schema (src of the env in atlas.hcl,
     or --to); otherwise it prints the statements that are missing and says to
     run create-migrations.]],
  options = check.options,
  run = check.run,
}
