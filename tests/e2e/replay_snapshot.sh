#!/usr/bin/env bash
# The replay snapshot of the default throwaway dev server (local://postgres): a replay that
# took a second or more leaves the server's data directory, with the replay template of the
# directory, in the cache; check-migrations and create-migrations after a migration was
# added start from it, run only the new files and say so. (tests/lua/replay_snapshot_spec.lua
# proves where the replay started and covers edits, corrupt snapshots and DBHOST_NO_CACHE.)
. "$(dirname "$0")/lib/assert.sh"
scratch
chmod 755 "$SCRATCH"
cd "$SCRATCH"
export DBHOST_RUNTIME_DIR="$SCRATCH/runtime"
export DBHOST_CACHE_DIR="$SCRATCH/cache"
unset DBHOST_NO_CACHE
mkdir -p proj/migrations && cd proj
# the first migration takes over a second: worth a snapshot
printf "SELECT pg_sleep(1.1);\nCREATE TABLE public.t (id integer);\n" > migrations/20260101000000_init.sql
printf "CREATE TABLE public.t (id integer);\n" > schema.sql
cat > atlas.hcl <<'HCL'
env "local" {
  src = "file://schema.sql"
  dev = "local://postgres"
  migration {
    dir = "file://migrations"
  }
}
HCL
"$DBHOST" migrate hash >/dev/null
run "$DBHOST" check-migrations --env local
expect_rc 0; expect_out "all checks passed"
[[ $out != *"from a template"* ]] || fail "the first replay reused something: $out"
ls -d "$DBHOST_CACHE_DIR"/snapshots/pg* >/dev/null 2>&1 || fail "no snapshot was kept: $(ls -R "$DBHOST_CACHE_DIR")"
pass

# a migration added by hand (a pull, a merge): only it is replayed
printf "ALTER TABLE public.t ADD COLUMN n text;\n" > migrations/20260102000000_n.sql
printf "CREATE TABLE public.t (id integer, n text);\n" > schema.sql
"$DBHOST" migrate hash >/dev/null
run "$DBHOST" check-migrations --env local
expect_rc 0; expect_out "all checks passed"
expect_out "2 files, 3 statements on local://postgres/"
expect_out "(1 of 2 files from a template (kept in the cache by an earlier run))"

# create-migrations on a directory changed since: its replay says what it reused
printf "ALTER TABLE public.t ADD COLUMN m text;\n" > migrations/20260103000000_m.sql
"$DBHOST" migrate hash >/dev/null
printf "CREATE TABLE public.t (id integer, n text, m text, born date);\n" > schema.sql
run "$DBHOST" create-migrations --env local born
expect_rc 0; expect_out "_born.sql (1 statement)"
expect_out "replayed migrations: 1 of 3 files from a template (kept in the cache by an earlier run)"
run "$DBHOST" check-migrations --env local
expect_rc 0; expect_out "all checks passed"

# DBHOST_NO_CACHE=1: a full replay, nothing reused
DBHOST_NO_CACHE=1 run "$DBHOST" check-migrations --env local
expect_rc 0; expect_out "all checks passed"
[[ $out != *"from a template"* ]] || fail "DBHOST_NO_CACHE=1 reused a template: $out"
pass
summary
