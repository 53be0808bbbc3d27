#!/usr/bin/env bash
# apply and status over a history that is not simply linear: versions that are not in
# the directory, files inserted out of order, and a baseline.
. "$(dirname "$0")/lib/assert.sh"
. "$(dirname "$0")/lib/pg.sh"
scratch
trap 'drop_created_dbs; rm -rf "$SCRATCH"' EXIT
cd "$SCRATCH"
REV=atlas_schema_revisions.atlas_schema_revisions

mkproject() { # mkproject DIR: four files, versions 20260101000000 .. 20260104000000
  mkdir -p "$1"
  local v
  for v in 1 2 3 4; do
    printf 'CREATE TABLE t%s (id int);\n' "$v" > "$1/2026010${v}000000_t$v.sql"
  done
  "$DBHOST" migrate hash --dir "$1" >/dev/null
}

# --- --to-version / --baseline with a version that is not in the directory -------
mkproject m1
url=$(newdb hist_to_version)
run "$DBHOST" apply --url "$url" --dir m1 --to-version 20260102000001
expect_rc 2 "--to-version not in the directory"
expect_err "--to-version 20260102000001: no migration file has this version"
expect_err "closest: 20260102000000, 20260103000000"
expect_eq "$(sql "$url" "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'")" "0" "nothing applied"
run "$DBHOST" apply --url "$url" --dir m1 --to-version 2026010300000
expect_rc 2 "a digit short"
expect_err "closest: 20260103000000"
run "$DBHOST" apply --url "$url" --dir m1 --baseline 20250102000000
expect_rc 2 "--baseline not in the directory"
expect_err "--baseline 20250102000000: no migration file has this version"
run "$DBHOST" apply --url "$url" --dir m1 --to-version 20260102000000 --format json
expect_rc 0 "an existing version is fine"
expect_eq "$(jget '.applied[2].version')" '"20260102000000"'

# --- non-linear: insert an older file, apply, apply again, status -----------------
mkproject m2
rm m2/20260102000000_t2.sql
"$DBHOST" migrate hash --dir m2 >/dev/null
url=$(newdb hist_nonlinear)
run "$DBHOST" apply --url "$url" --dir m2
expect_rc 0
printf 'CREATE TABLE t2 (id int);\n' > m2/20260102000000_t2.sql
"$DBHOST" migrate hash --dir m2 >/dev/null
run "$DBHOST" apply --url "$url" --dir m2 --exec-order non-linear
expect_rc 0 "the inserted file applies"
run "$DBHOST" apply --url "$url" --dir m2
expect_rc 0 "a later apply is not refused"
expect_out "No migration files to execute"
run "$DBHOST" apply --url "$url" --dir m2 --exec-order non-linear
expect_rc 0 "and again"
run "$DBHOST" status --url "$url" --dir m2
expect_rc 0 "status after a non-linear apply"
expect_out "Migration Status: OK"
# a new file after that applies as usual
printf 'CREATE TABLE t5 (id int);\n' > m2/20260105000000_t5.sql
"$DBHOST" migrate hash --dir m2 >/dev/null
run "$DBHOST" apply --url "$url" --dir m2
expect_rc 0; expect_out "1 migration"
# an edit of an applied file is still found, and blamed on that file
echo "-- edited" >> m2/20260103000000_t3.sql
"$DBHOST" migrate hash --dir m2 >/dev/null
run "$DBHOST" apply --url "$url" --dir m2
expect_rc 1; expect_err "migration file 20260103000000_t3.sql was changed after it was applied"
run "$DBHOST" status --url "$url" --dir m2 --format json
expect_rc 1
expect_eq "$(jget .edited)" '[{"file":"20260103000000_t3.sql","version":"20260103000000"}]'
# the inserted file edited is found too
sed -i '$d' m2/20260103000000_t3.sql
echo "-- edited" >> m2/20260102000000_t2.sql
"$DBHOST" migrate hash --dir m2 >/dev/null
run "$DBHOST" apply --url "$url" --dir m2
expect_rc 1; expect_err "migration file 20260102000000_t2.sql was changed after it was applied"

# --- a baseline row counts as executed -------------------------------------------
mkproject m3
url=$(newdb hist_baseline)
sql "$url" "CREATE TABLE t1 (id int); CREATE TABLE t2 (id int)"
run "$DBHOST" apply --url "$url" --dir m3 --baseline 20260102000000
expect_rc 0
run "$DBHOST" status --url "$url" --dir m3
expect_rc 0; expect_out "Executed Files:  3"
run "$DBHOST" status --url "$url" --dir m3 --format json
expect_eq "$(jget '.applied[1]')" '{"file":"20260102000000_t2.sql","version":"20260102000000"}'

summary
