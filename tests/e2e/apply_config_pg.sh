#!/usr/bin/env bash
# apply reads atlas.hcl's migration block as the Lambda handler does (baseline,
# exec_order, revisions_schema, tx_mode, lock_timeout); a flag wins over it.
. "$(dirname "$0")/lib/assert.sh"
. "$(dirname "$0")/lib/pg.sh"
scratch
trap 'drop_created_dbs; rm -rf "$SCRATCH"' EXIT
cd "$SCRATCH"
mkdir migrations
for v in 1 2 3; do printf 'CREATE TABLE t%s (id int);\n' "$v" > "migrations/2026010${v}000000_t$v.sql"; done
"$DBHOST" migrate hash >/dev/null
url=$(newdb apply_config)
sql "$url" "CREATE TABLE t1 (id int)" >/dev/null   # an existing database
cat > atlas.hcl <<HCL
env "prod" {
  url = "$url"
  migration {
    dir              = "file://migrations"
    baseline         = "20260101000000"
    exec_order       = LINEAR_SKIP
    revisions_schema = "app_revisions"
    lock_timeout     = "bogus"
  }
}
HCL
# a bad lock_timeout in atlas.hcl is reported like the flag's
run "$DBHOST" apply --env prod
expect_rc 2; expect_err 'not a duration: "bogus"'
# the flag wins over atlas.hcl
run "$DBHOST" apply --env prod --lock-timeout 5s
expect_rc 0
expect_eq "$(sql "$url" "SELECT string_agg(version, ',' ORDER BY version) FROM app_revisions.atlas_schema_revisions")" \
  "20260101000000,20260102000000,20260103000000" "baseline from atlas.hcl, revisions in its schema"
expect_eq "$(sql "$url" "SELECT count(*) FROM pg_tables WHERE tablename IN ('t2', 't3')")" "2" "the files after the baseline ran"
# exec_order LINEAR_SKIP from atlas.hcl: a file older than the last applied one (but newer
# than the baseline) is skipped; the applied files are not taken as edited
printf 'CREATE TABLE t0 (id int);\n' > migrations/20260101500000_t0.sql
"$DBHOST" migrate hash >/dev/null
run "$DBHOST" apply --env prod --lock-timeout 5s
expect_rc 0
expect_eq "$(sql "$url" "SELECT count(*) FROM pg_tables WHERE tablename = 't0'")" "0" "skipped (linear-skip)"
# ... and --exec-order on the command line wins: non-linear applies it
run "$DBHOST" apply --env prod --lock-timeout 5s --exec-order non-linear
expect_rc 0
expect_eq "$(sql "$url" "SELECT count(*) FROM pg_tables WHERE tablename = 't0'")" "1" "applied (non-linear)"
# a file older than the baseline, added later: the baseline covers it (nothing runs),
# and the files that ran are still not taken as edited
printf 'CREATE TABLE told (id int);\n' > migrations/20251231000000_old.sql
"$DBHOST" migrate hash >/dev/null
run "$DBHOST" apply --env prod --lock-timeout 5s --exec-order non-linear
expect_rc 0
expect_eq "$(sql "$url" "SELECT count(*) FROM pg_tables WHERE tablename = 'told'")" "0" "covered by the baseline"
summary
