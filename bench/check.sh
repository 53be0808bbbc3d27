#!/usr/bin/env bash
# bench/check.sh [N]: check-migrations and create-migrations, each beside one `pg_dump -s`.
#
# 1. The example project (`make check-migrations`, i.e. `dbhost check-migrations --full`, and
#    the quick mode) with a warm server cache. Goal: <= 1 s.
# 2. A generated project of N tables (default 2000; bench/lib/diff_gen.lua: five schemas,
#    FKs, CHECK/UNIQUE, partial/expression/GIN indexes, enums, views, functions, triggers,
#    comments) whose migration directory is that schema as one initial migration and whose
#    schema.sql is the same schema: the first check-migrations replays it (one transaction
#    over N tables: the throwaway server's lock table must hold it), then check-migrations
#    and create-migrations run again on the unchanged project (the replay cache). Floor:
#    `pg_dump -s` of a database holding that schema, in the same run. Goal: <= 2x the floor.
# 3. One migration added to that project (a pull, a merge; schema.sql gets the same table):
#    check-migrations once with the replay snapshot the first run kept (the throwaway
#    server starts from it and runs only the new file) and once with DBHOST_NO_CACHE=1 (a
#    full replay), each with the time of its replay step. Both load the changed schema.sql.
#    These two runs use a runtime folder on tmpfs when there is one, as dbhost does by
#    default (the snapshot is copied there).
#
# Environment: BUILD build directory (default "build"); RUNS runs per figure, best and
# median shown (default 5).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
runs=${RUNS:-5}
n=${1:-2000}
build=${BUILD:-build}
[[ $build = /* ]] || build=$root/$build
dbhost=$build/dbhost
[[ -x $dbhost ]] || { echo "bench/check.sh: $dbhost not found (build first, or set BUILD)" >&2; exit 2; }
"$dbhost" check-migrations >/dev/null   # warms the server cache if it is cold

now() { date +%s.%N; }
time_runs() {
  local times=()
  for _ in $(seq "$runs"); do
    local t0 t1
    t0=$(now)
    "$@" >/dev/null
    t1=$(now)
    times+=("$(awk -v a="$t0" -v b="$t1" 'BEGIN{printf "%.3f", b - a}')")
  done
  printf '%s\n' "${times[@]}" | sort -n | awk '{a[NR]=$1} END{printf "%.3f %.3f", a[1], a[int((NR+1)/2)]}'
}
show() { read -r b m <<<"$2"; printf '%-40s best %.3f s, median %.3f s%s\n' "$1" "$b" "$m" "${3:-}"; }

# what `make check-migrations` runs (make itself, which first checks the build, is left out)
show "check-migrations --full (warm):" "$(time_runs "$dbhost" check-migrations --full)" " (goal <= 1 s)"
show "check-migrations, quick (warm):" "$(time_runs "$dbhost" check-migrations)"

# --- the generated project
work=$(mktemp -d "${TMPDIR:-/tmp}/dbhost-bench-check.XXXXXX")
sock=$(mktemp -d "${TMPDIR:-/tmp}/dbhost-bench-sock.XXXXXX")
chmod 755 "$work" "$sock"
cleanup() { bash "$root/tests/lib/pgserver.sh" stop "$work/data" "$sock" >/dev/null 2>&1 || true; rm -rf "$work" "$sock"; }
trap cleanup EXIT
export DBHOST_CACHE_DIR="$work/cache" DBHOST_RUNTIME_DIR="$work/runtime"
mkdir -p "$work/proj/migrations" "$DBHOST_RUNTIME_DIR"
"$dbhost" lua "$root/bench/lib/diff_gen.lua" "$n" base > "$work/schema.sql"
# the migration: the same SQL in the executor's one transaction per file (no BEGIN/COMMIT)
grep -v -e '^BEGIN;$' -e '^COMMIT;$' "$work/schema.sql" > "$work/proj/migrations/20260101000000_init.sql"
cp "$work/schema.sql" "$work/proj/schema.sql"
cat > "$work/proj/atlas.hcl" <<'HCL'
env "local" {
  src = "file://schema.sql"
  dev = "local://postgres"
  migration {
    dir = "file://migrations"
  }
}
HCL
(cd "$work/proj" && "$dbhost" migrate hash >/dev/null)

bash "$root/tests/lib/pgserver.sh" start "$work/data" "$sock" >/dev/null
db="postgresql:///postgres?host=$sock&user=postgres"
psql "$db" -qAtX -v ON_ERROR_STOP=1 -f "$work/schema.sql" >/dev/null
read -r floor _ <<<"$(time_runs pg_dump --schema-only --dbname "$db")"
printf 'N=%s tables: pg_dump -s (floor)             %.3f s\n' "$n" "$floor"

cd "$work/proj"
t0=$(now)
"$dbhost" check-migrations --env local > "$work/first.out" || { cat "$work/first.out"; exit 1; }
t1=$(now)
printf '%-40s %.3f s (replays the directory and loads schema.sql)\n' "check-migrations, first run:" \
  "$(awk -v a="$t0" -v b="$t1" 'BEGIN{print b - a}')"
ratio() { awk -v x="$1" -v y="$floor" 'BEGIN{printf " = %.2fx the floor (goal <= 2x): %s", x/y, (x <= 2*y) ? "met" : "NOT met"}'; }
r=$(time_runs "$dbhost" check-migrations --env local); read -r b _ <<<"$r"
show "check-migrations, unchanged:" "$r" "$(ratio "$b")"
r=$(time_runs "$dbhost" create-migrations --env local nothing); read -r b _ <<<"$r"
show "create-migrations, unchanged:" "$r" "$(ratio "$b")"
[[ $(ls migrations | wc -l) = 2 ]] || { echo "create-migrations wrote a migration for an unchanged project" >&2; exit 1; }

# --- 3. one migration added
printf 'CREATE TABLE public.bench_added (id integer);\n' > migrations/20260102000000_added.sql
printf 'CREATE TABLE public.bench_added (id integer);\n' >> schema.sql
"$dbhost" migrate hash >/dev/null
# (dbhost keeps a snapshot only after a replay of a second or more: not at smoke sizes)
snapshot_kept=1
ls -d "$DBHOST_CACHE_DIR"/snapshots/pg* >/dev/null 2>&1 || snapshot_kept=0
if [ -d /dev/shm ]; then
  shm=$(mktemp -d /dev/shm/dbhost-bench-rt.XXXXXX)
  chmod 711 "$shm"
  trap 'cleanup; rm -rf "$shm"' EXIT
  export DBHOST_RUNTIME_DIR="$shm/runtime"
fi
# check-migrations once; prints its wall time and its replay step's time
added_run() {
  local t0 t1
  t0=$(now)
  env "$@" "$dbhost" check-migrations --env local > "$work/added.out" || { cat "$work/added.out" >&2; exit 1; }
  t1=$(now)
  local step
  step=$(sed -n 's/.*migrations replay cleanly on a throwaway database (\(.*\))$/\1/p' "$work/added.out")
  awk -v a="$t0" -v b="$t1" -v s="$step" 'BEGIN{printf "%.3f s (replay step %s)", b - a, s}'
}
full=$(added_run DBHOST_NO_CACHE=1)
if [[ $snapshot_kept = 0 ]]; then
  printf 'one migration added to the %s-table project: check-migrations %s (no replay snapshot: the first replay took under a second)\n' "$n" "$full"
  exit 0
fi
snap=$(added_run)
grep -q "1 of 2 files from a template" "$work/added.out" || { echo "the replay did not start from the snapshot:" >&2; cat "$work/added.out" >&2; exit 1; }
printf 'one migration added to the %s-table project: check-migrations %s (was a full replay %s)\n' "$n" "$snap" "$full"
