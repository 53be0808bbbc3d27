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
# status reports the out-of-order file with the one JSON error object
run "$DBHOST" status --url "$url" --dir m2 --format json
expect_rc 1; expect_eq "$(jget .state)" '"ERROR"'
[[ "$(jget .error.message)" == *"20260102000000_t2.sql was added out of order"* ]] || fail "status error: $out"
expect_eq "$(jget .error.line)" null
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


# --- txmode none: progress is written without the migration's timeouts ------------
# A session (fed through a FIFO, so the test decides when it does what) holds a lock
# on the revisions table from just before statement 2 runs until after it: the
# progress write must wait for it, not fail under --stmt-lock-timeout. Statement 2
# waits for advisory lock 777, which the holder releases once it holds the table.
mknone() {
  rm -rf "$1" && mkdir -p "$1"
  # statement 2 waits for lock 777 in a function with its own lock_timeout (0), so how
  # long the holder takes to let it go on a loaded machine never makes it fail
  cat > "$1/1_none.sql" <<'SQL'
-- atlas:txmode none

DO $do$ BEGIN CREATE TABLE log (n int); CREATE FUNCTION wait777() RETURNS int LANGUAGE plpgsql SET lock_timeout = 0 AS $f$ BEGIN PERFORM pg_advisory_xact_lock(777); RETURN 1; END $f$; END $do$;
INSERT INTO log SELECT wait777();
INSERT INTO log VALUES (2);
SQL
  "$DBHOST" migrate hash --dir "$1" >/dev/null
}
# poll URL QUERY: until QUERY prints t (10 s at most)
poll() {
  local i
  for i in $(seq 200); do
    [ "$(sql "$1" "$2")" = t ] && return 0
    sleep 0.05
  done
  return 1
}
# holder_start URL: a session holding advisory lock 777 (commands go to fd 3)
holder_start() {
  rm -f holder.fifo && mkfifo holder.fifo
  $PSQL "$1" -qAtX >/dev/null 2>&1 <holder.fifo &
  HOLDER=$!
  exec 3>holder.fifo
  echo "SELECT pg_advisory_lock(777);" >&3
  poll "$1" "SELECT count(*) = 1 FROM pg_locks WHERE locktype = 'advisory' AND objid = 777 AND granted AND database = (SELECT oid FROM pg_database WHERE datname = current_database())" ||
    fail "the holder did not take lock 777"
}
# apply_bg ARGS...: dbhost apply in the background; apply_wait sets $rc, $out, $err
apply_bg() { "$DBHOST" apply "$@" >apply.out 2>apply.err & APPLY=$!; }
apply_wait() { set +e; wait "$APPLY"; rc=$?; set -e; out=$(cat apply.out) err=$(cat apply.err); }
# lock_revisions URL: once statement 1 is recorded, the holder locks the revisions
# table and lets statement 2 run
lock_revisions() {
  poll "$1" "SELECT EXISTS (SELECT 1 FROM $REV WHERE version = '1' AND applied = 1)" ||
    fail "statement 1 was not recorded"
  printf 'BEGIN;\nLOCK TABLE %s IN SHARE MODE;\nSELECT pg_advisory_unlock(777);\n' "$REV" >&3
}
holder_end() { echo "COMMIT;" >&3; exec 3>&-; wait "$HOLDER" || true; }

mknone m4
url=$(newdb hist_progress_wait)
holder_start "$url"
apply_bg --url "$url" --dir m4 --stmt-lock-timeout 300ms
lock_revisions "$url"
# statement 2 ran, and its progress write waits for the table (or has failed: old code)
poll "$url" "SELECT EXISTS (SELECT 1 FROM pg_locks l JOIN pg_class c ON c.oid = l.relation WHERE c.relname = 'atlas_schema_revisions' AND NOT l.granted)" || true
sleep 0.5  # longer than --stmt-lock-timeout
holder_end
apply_wait
expect_rc 0 "the progress write waits for the lock instead of failing"
expect_eq "$(sql "$url" "SELECT string_agg(n::text, ',' ORDER BY n) FROM log")" "1,2"
expect_eq "$(sql "$url" "SELECT applied || '/' || total FROM $REV WHERE version = '1'")" "3/3"

# when the lock outlasts --lock-timeout: the exact statement that was applied but not recorded
mknone m5
url=$(newdb hist_progress_fail)
holder_start "$url"
apply_bg --url "$url" --dir m5 --stmt-lock-timeout 300ms --lock-timeout 300ms
lock_revisions "$url"
apply_wait
holder_end
expect_rc 1 "progress not recorded"
expect_err "statement 2 of 1_none.sql was applied but not recorded in the revisions table"
expect_err "first record it by running this SQL on the database, then apply again:"
# doing what it says resumes after statement 2: statement 2 does not run twice
fix=$(printf '%s\n' "$err" | grep -A1 "then apply again:" | tail -n 1)
sql "$url" "$fix" >/dev/null
run "$DBHOST" apply --url "$url" --dir m5
expect_rc 0 "apply after recording"
expect_eq "$(sql "$url" "SELECT string_agg(n::text, ',' ORDER BY n) FROM log")" "1,2"

# --- a view is described as a view ------------------------------------------------
url=$(newdb hist_view)
sql "$url" "CREATE VIEW legacy_v AS SELECT 1 AS one"
run "$DBHOST" apply --url "$url" --dir m1
expect_rc 1; expect_err 'connected database is not clean: found view "legacy_v" in schema "public"'

# --- search_path values are escaped: a tab cannot inject a server option -------------
url=$(newdb hist_search_path)
sql "$url" "CREATE SCHEMA app"
run "$DBHOST" apply --url "$url&search_path=app%09-cstatement_timeout%3D1" --dir m1 --to-version 20260101000000
expect_rc 1 "a schema named 'app<TAB>-cstatement_timeout=1' does not exist"
[ "$(sql "$url" "SELECT count(*) FROM pg_tables WHERE schemaname = 'app'")" = 0 ] || fail "applied into app"
pass

summary
