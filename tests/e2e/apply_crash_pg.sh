#!/usr/bin/env bash
# dbhost apply under stress: concurrent appliers, kill -9 mid-file, a terminated connection.
. "$(dirname "$0")/lib/assert.sh"
. "$(dirname "$0")/lib/pg.sh"
scratch
trap 'drop_created_dbs; rm -rf "$SCRATCH"' EXIT
cd "$SCRATCH"
REV=atlas_schema_revisions.atlas_schema_revisions

# --- 8 concurrent appliers: every file applied exactly once --------------------
mkdir m
printf 'CREATE TABLE runs (file text, backend int DEFAULT pg_backend_pid());\n' > m/001_runs.sql
for i in $(seq -w 2 40); do
  printf "INSERT INTO runs (file) VALUES ('%s');\nSELECT pg_sleep(0.01);\n" "$i" > "m/0${i}_step.sql"
done
"$DBHOST" migrate hash --dir m >/dev/null
url=$(newdb apply_concurrent)
pids=()
for i in 1 2 3 4 5 6 7 8; do
  "$DBHOST" apply --url "$url" --dir m --lock-timeout 60s >"out.$i" 2>"err.$i" &
  pids+=($!)
done
for i in "${!pids[@]}"; do
  wait "${pids[$i]}" || fail "applier $((i + 1)) failed: $(cat "err.$((i + 1))")"
done
pass
expect_eq "$(sql "$url" "SELECT count(*), count(DISTINCT file) FROM runs")" "39|39" "each file ran exactly once"
expect_eq "$(sql "$url" "SELECT count(*) FROM $REV WHERE applied = total")" "40"
winners=$(grep -l "Migrated to version" out.* | wc -l)
expect_eq "$winners" "1" "exactly one applier did the work"

# a second applier waits for the lock and gives up after --lock-timeout
url=$(newdb apply_locked)
"$DBHOST" apply --url "$url" --dir m 1 >/dev/null
$PSQL "$url" -qAtX -c "SELECT pg_advisory_lock(2686470616)" -c "SELECT pg_sleep(3)" >/dev/null &
holder=$!
# (until the holder has the lock: on a loaded machine its psql takes a while to start)
for _ in $(seq 100); do
  [ "$(sql "$url" "SELECT count(*) FROM pg_locks l JOIN pg_database d ON d.oid = l.database
    WHERE d.datname = current_database() AND l.locktype = 'advisory' AND l.objid = 2686470616 AND l.granted")" = 1 ] && break
  sleep 0.05
done
run "$DBHOST" apply --url "$url" --dir m --lock-timeout 0.3s
expect_rc 1; expect_err "acquiring database lock"
wait "$holder"

# --- kill -9 in the middle of a file, then a clean re-run ------------------------
mkdir k
printf 'CREATE TABLE k1 (id int);\n' > k/1_k1.sql
printf 'CREATE TABLE k2 (id int);\nSELECT pg_sleep(30);\nCREATE TABLE k3 (id int);\n' > k/2_slow.sql
printf 'CREATE TABLE k4 (id int);\n' > k/3_k4.sql
"$DBHOST" migrate hash --dir k >/dev/null
url=$(newdb apply_kill)
"$DBHOST" apply --url "$url" --dir k >kill.out 2>kill.err &
pid=$!
for _ in $(seq 100); do
  [ "$(sql "$url" "SELECT count(*) FROM pg_stat_activity WHERE query LIKE '%pg_sleep(30)%' AND pid <> pg_backend_pid()")" = 1 ] && break
  sleep 0.1
done
kill -9 "$pid"
wait "$pid" 2>/dev/null || true
# client_connection_check_interval lets the server abort the orphaned statement
for _ in $(seq 150); do
  [ "$(sql "$url" "SELECT count(*) FROM pg_stat_activity WHERE query LIKE '%pg_sleep(30)%' AND pid <> pg_backend_pid()")" = 0 ] && break
  sleep 0.1
done
expect_eq "$(sql "$url" "SELECT count(*) FROM pg_stat_activity WHERE query LIKE '%pg_sleep(30)%' AND pid <> pg_backend_pid()")" "0" \
  "the server aborted the killed run's statement"
expect_eq "$(sql "$url" "SELECT string_agg(version, ',' ORDER BY version) FROM $REV")" "1" "the killed file left no revision"
expect_eq "$(sql "$url" "SELECT count(*) FROM pg_tables WHERE tablename = 'k2'")" "0" "the killed file was rolled back"
printf 'CREATE TABLE k2 (id int);\nSELECT pg_sleep(0.01);\nCREATE TABLE k3 (id int);\n' > k/2_slow.sql
"$DBHOST" migrate hash --dir k >/dev/null
run "$DBHOST" apply --url "$url" --dir k
expect_rc 0; expect_out "Migrated to version 3 from 1"
expect_eq "$(sql "$url" "SELECT count(*) FROM pg_tables WHERE tablename IN ('k1','k2','k3','k4')")" "4"

# --- the server connection terminated mid-apply -------------------------------------
mkdir t
printf 'CREATE TABLE t1 (id int);\n' > t/1_t1.sql
printf 'CREATE TABLE t2 (id int);\nSELECT pg_sleep(30);\n' > t/2_slow.sql
"$DBHOST" migrate hash --dir t >/dev/null
url=$(newdb apply_terminate)
"$DBHOST" apply --url "$url" --dir t >term.out 2>term.err &
pid=$!
for _ in $(seq 100); do
  [ "$(sql "$url" "SELECT count(*) FROM pg_stat_activity WHERE query LIKE '%pg_sleep(30)%' AND pid <> pg_backend_pid()")" = 1 ] && break
  sleep 0.1
done
sql "$DBHOST_TEST_DATABASE_URL" "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE query LIKE '%pg_sleep(30)%' AND pid <> pg_backend_pid()" >/dev/null
set +e; wait "$pid"; rc=$?; set -e
expect_eq "$rc" "1" "apply fails when its connection is terminated"
grep -q "terminat" term.err || fail "no termination message: $(cat term.err)"
expect_eq "$(sql "$url" "SELECT string_agg(version, ',' ORDER BY version) FROM $REV")" "1"
expect_eq "$(sql "$url" "SELECT count(*) FROM pg_tables WHERE tablename = 't2'")" "0"
printf 'CREATE TABLE t2 (id int);\n' > t/2_slow.sql
"$DBHOST" migrate hash --dir t >/dev/null
run "$DBHOST" apply --url "$url" --dir t
expect_rc 0

summary
