-- dbhost schema diff: the SQL that takes one schema to another, verified on a dev database.
local compare = require "dbhost.schema.compare"

return {
  summary = "Print the SQL that takes one schema to another (verified on a dev database)",
  usage = "dbhost schema diff --from SRC --to SRC [--dev-url URL] [--schema NAME ...] [--skip-verify]",
  description = [[
SRC is a database URL, file://schema.sql, file://DIR (its .sql files in name
order) or dir://migrations (a migration directory, replayed). SQL sources run
on a throwaway dev database (--dev-url, default local://postgres: a local
server without Docker). The output is a migration file in Atlas's format:
statements in dependency order, each after a "-- comment"; a file that adds
enum values and uses them starts with "-- atlas:txmode none". Renames are not
guessed: a renamed table or column shows as drop + add, and a note on stderr
says how to turn it into a RENAME. Unless --skip-verify is given, the plan is
applied to a copy of the current state and the result inspected again; it must
equal the desired schema.]],
  options = compare.options,
  run = compare.run,
}
