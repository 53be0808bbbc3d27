#!/usr/bin/env bash
# What a new user gets wrong on the command line, and what dbhost says: flags without
# their value, group commands alone, misspelt commands, configuration errors (exit 2)
# against failed checks (exit 1), and --format json on every outcome.
. "$(dirname "$0")/lib/assert.sh"
scratch
cd "$SCRATCH"
cp -r "$DBHOST_SOURCE_DIR"/{atlas.hcl,schema.sql,cloud-formation.yaml,migrations} .
unset DATABASE_URL

# --- a flag's value that looks like a flag ----------------------------------------
run "$DBHOST" apply --url --dry-run
expect_rc 2 "--url --dry-run"
expect_err "flag --url needs a value (URL), not the flag --dry-run; write --url=--dry-run if that is the value"
run "$DBHOST" schema diff --from --to file://schema.sql
expect_rc 2; expect_err "flag --from needs a value (SRC), not the flag --to"
run "$DBHOST" apply --format json --url --dry-run
expect_rc 2; expect_eq "$(jget .error.code)" '"EUSAGE"' "a usage error is JSON too"

# --- group commands alone, misspelt commands, help for an unknown command ----------
for group in migrate schema fixtures; do
  run "$DBHOST" "$group"
  expect_rc 0 "dbhost $group"
  expect_out "'dbhost $group' needs a command:"
done
run "$DBHOST" migrate
expect_out "migrate hash"; expect_out "migrate validate"
run "$DBHOST" help migrate
expect_rc 0; expect_out "migrate apply"
run "$DBHOST" aply
expect_rc 2; expect_err "unknown command 'aply' (did you mean 'apply'?)"
run "$DBHOST" migrate hsh
expect_rc 2; expect_err "unknown command 'migrate hsh' (did you mean 'migrate hash'?)"
run "$DBHOST" check-migration
expect_rc 2; expect_err "did you mean 'check-migrations'?"
run "$DBHOST" help nosuch
expect_rc 2; expect_err "unknown command 'nosuch'"
[[ "$err" != *"--help"* ]] || fail "help nosuch names --help: $err"
pass

# --- exit 2 for configuration errors, 1 for failed checks and runtime errors --------
run "$DBHOST" apply --url mysql://app:s3cr3t@db/app
expect_rc 2 "bad URL scheme"; expect_err 'unsupported database URL scheme "mysql"'
[[ "$err" != *s3cr3t* ]] || fail "password shown: $err"
pass
run "$DBHOST" status --url sqlite://x.db
expect_rc 2 "bad URL scheme (status)"
run "$DBHOST" schema diff --from dir://migrations --to schema.sql
expect_rc 2 "a source without file://"; expect_err '--to: unsupported schema source "schema.sql"'
run "$DBHOST" schema diff --from dir://nosuch --to file://schema.sql
expect_rc 2 "a missing migration directory"
run "$DBHOST" apply
expect_rc 2 "no URL at all"; expect_err "no database URL"
mv migrations/atlas.sum atlas.sum.saved
run "$DBHOST" apply --url postgres://127.0.0.1:1/x
expect_rc 2 "apply without atlas.sum"; expect_err "migrations/atlas.sum not found: run 'dbhost migrate hash'"
run "$DBHOST" status --url postgres://127.0.0.1:1/x
expect_rc 2 "status without atlas.sum"
run "$DBHOST" migrate validate
expect_rc 2 "validate without atlas.sum"
run "$DBHOST" apply --url postgres://127.0.0.1:1/x --format json
expect_rc 2
expect_eq "$(jget .error)" '{"code":"ENOTFOUND","column":null,"file":"migrations/atlas.sum","line":null,"message":"migrations/atlas.sum not found: run '"'dbhost migrate hash'"' to write it"}'
mv atlas.sum.saved migrations/atlas.sum
# a malformed atlas.sum: exit 2, naming its line
cp migrations/atlas.sum atlas.sum.saved
sed -i '3s/ h1:/ x1:/' migrations/atlas.sum
run "$DBHOST" migrate validate
expect_rc 2 "malformed atlas.sum"; expect_err "migrations/atlas.sum:3:"
run "$DBHOST" apply --url postgres://127.0.0.1:1/x --format json
expect_rc 2; expect_eq "$(jget .error.line)" 3; expect_eq "$(jget .error.file)" '"migrations/atlas.sum"'
cp atlas.sum.saved migrations/atlas.sum
# an edited file: a failed check (exit 1)
cp migrations/20260112093000_create_orders.sql orders.saved
echo "-- edited" >> migrations/20260112093000_create_orders.sql
run "$DBHOST" migrate validate
expect_rc 1 "edited file"; expect_out "L3: 20260112093000_create_orders.sql was edited"
run "$DBHOST" apply --url postgres://127.0.0.1:1/x --format json
expect_rc 1; expect_eq "$(jget .error.line)" 3
[[ "$out" != *"checksum error"* ]] || fail "text in JSON output: $out"
pass
cp orders.saved migrations/20260112093000_create_orders.sql
# a database that does not answer: a runtime error (exit 1), JSON too
run "$DBHOST" status --url "postgres://127.0.0.1:1/x?connect_timeout=2" --format json
expect_rc 1; expect_out '"error":'; expect_err "cannot connect"

# --- check-migrations: each failed step says why; later steps are skipped ------------
# a hand-edited atlas.sum line: the values look right but the total does not match
sed -i '2s/h1:/h1:X/' migrations/atlas.sum
run "$DBHOST" check-migrations
expect_rc 1
expect_out "FAILED  MigrationHash in the template equals the atlas.sum total"
expect_out "migrations/atlas.sum is not valid, so MigrationHash cannot be checked"
expect_out "the total on line 1 does not match"
expect_out "skipped atlas.sum matches the migration directory (step 1 failed)"
expect_out "skipped migrations replay cleanly on a throwaway database (step 1 failed)"
[[ "$out" != *"ok      "* ]] || fail "a step after a failed one says ok: $out"
pass
run "$DBHOST" check-migrations --format json
expect_rc 1
expect_eq "$(jget .steps[3].message)" '"skipped (step 1 failed)"'
expect_eq "$(jget .steps[3].status)" '"skipped"'
cp atlas.sum.saved migrations/atlas.sum
# no template: step 1 is skipped (not failed) and the others run
run "$DBHOST" check-migrations --dir migrations --format json --dev-url nosuch://x
expect_rc 1
expect_eq "$(jget .steps[3].status)" '"failed"' "replay fails on a bad dev URL"
expect_eq "$(jget .steps[4].message)" '"skipped (step 3 failed)"'
# a configuration error met by a step: exit 2, and the step says so
cp atlas.hcl hcl.saved
sed -i 's|src = "file://schema.sql"|src = "schema.sql"|' atlas.hcl
run "$DBHOST" check-migrations
expect_rc 2 "check-migrations with a schema source without file://"
expect_out 'FAILED  the migrations produce the desired schema'
expect_out 'unsupported schema source "schema.sql"'
cp hcl.saved atlas.hcl

summary
