#!/usr/bin/env bash
# bench/diff.sh [N ...]: time `dbhost schema diff` between a generated schema of N tables
# (five schemas, FKs, CHECK/UNIQUE, partial/expression/GIN indexes, enums, views, plpgsql
# functions, triggers, comments; bench/lib/diff_gen.lua) and a copy with ~2% changed.
#
# For each N (default: 2000) prints, beside one `pg_dump -s` of the same database in the
# same run (the floor): the verified `schema diff` (goal <= 1x the floor), `schema inspect`
# of one database, the command with --skip-verify, and the library split
# (bench/lib/diff_time.lua).
# Older goals: 2,000 tables --skip-verify <= 2 s; 10,000 tables <= 6x the 2,000 figure. When the npm package
# @pgkit/migra is installed in the cache directory (DBHOST_BENCH_NPM, installed there
# when BENCH_INSTALL_MIGRA=1), it is timed on the same databases (goal: dbhost >= 10x faster).
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${BUILD:-build}
[[ $build = /* ]] || build=$root/$build
dbhost=$build/dbhost
runs=${RUNS:-3}
sizes=("$@")
[[ ${#sizes[@]} -gt 0 ]] || sizes=(2000)
[[ -x $dbhost ]] || { echo "bench/diff.sh: build first (make build)" >&2; exit 2; }

work=$(mktemp -d "${TMPDIR:-/tmp}/dbhost-bench-diff.XXXXXX")
sock=$(mktemp -d "${TMPDIR:-/tmp}/dbhost-bench-sock.XXXXXX")
chmod 755 "$work" "$sock"
cleanup() { bash "$root/tests/lib/pgserver.sh" stop "$work/data" "$sock" >/dev/null 2>&1 || true; rm -rf "$work" "$sock"; }
trap cleanup EXIT
bash "$root/tests/lib/pgserver.sh" start "$work/data" "$sock" >/dev/null
admin="postgresql:///postgres?host=$sock&user=postgres"
url_of() { echo "postgresql:///$1?host=$sock&user=postgres"; }
export PGOPTIONS="-c client_min_messages=warning"
newdb() { psql "$admin" -qAtX -c "DROP DATABASE IF EXISTS $1" -c "CREATE DATABASE $1" >/dev/null; }

npmdir=${DBHOST_BENCH_NPM:-${TMPDIR:-/tmp}/dbhost-bench-npm}
if [[ ${BENCH_INSTALL_MIGRA:-0} = 1 && ! -x $npmdir/node_modules/.bin/migra ]] && command -v npm >/dev/null; then
  npm install --silent --prefix "$npmdir" @pgkit/migra >/dev/null 2>&1 || true
fi
migra=""
[[ -x $npmdir/node_modules/.bin/migra ]] && migra=$npmdir/node_modules/.bin/migra

now() { date +%s.%N; }
best() {  # best of $runs wall times of "$@"
  local b=""
  for _ in $(seq "$runs"); do
    local t0 t1; t0=$(now); "$@" >/dev/null 2>&1 || true; t1=$(now)
    b=$(awk -v a="$b" -v d="$(awk -v x="$t0" -v y="$t1" 'BEGIN{print y-x}')" 'BEGIN{ if (a == "" || d < a) print d; else print a }')
  done
  echo "$b"
}

declare -A result
for n in "${sizes[@]}"; do
  newdb "bench_a_$n"; newdb "bench_b_$n"
  "$dbhost" lua "$root/bench/lib/diff_gen.lua" "$n" base > "$work/a.sql"
  "$dbhost" lua "$root/bench/lib/diff_gen.lua" "$n" modified > "$work/b.sql"
  psql "$(url_of "bench_a_$n")" -qAtX -v ON_ERROR_STOP=1 -f "$work/a.sql" >/dev/null
  psql "$(url_of "bench_b_$n")" -qAtX -v ON_ERROR_STOP=1 -f "$work/b.sql" >/dev/null
  a=$(url_of "bench_a_$n"); b=$(url_of "bench_b_$n")
  floor=$(best pg_dump --schema-only --dbname "$a")
  "$dbhost" schema diff --from "$a" --to "$b" >/dev/null 2>"$work/verify.err" ||
    { echo "schema diff (verified) failed:" >&2; cat "$work/verify.err" >&2; exit 1; }
  tv=$(best "$dbhost" schema diff --from "$a" --to "$b")
  tinsp=$(best "$dbhost" schema inspect --url "$a")
  t=$(best "$dbhost" schema diff --skip-verify --from "$a" --to "$b")
  split=$("$dbhost" lua "$root/bench/lib/diff_time.lua" "$a" "$b")
  result[$n]=$t
  read -r ti tp nst nbytes <<<"$split"
  printf 'N=%-6s pg_dump -s (floor)         %.3f s\n' "$n" "$floor"
  printf '         dbhost schema diff         %.3f s   %.2fx the floor (goal <= 1x): %s\n' "$tv" \
    "$(awk -v x="$tv" -v y="$floor" 'BEGIN{print x/y}')" "$(awk -v x="$tv" -v y="$floor" 'BEGIN{print (x <= y) ? "met" : "NOT met"}')"
  printf '         dbhost schema inspect      %.3f s   %.2fx the floor (one database)\n' "$tinsp" "$(awk -v x="$tinsp" -v y="$floor" 'BEGIN{print x/y}')"
  printf '         ... --skip-verify          %.3f s   %.2fx the floor (inspect both %.3f s, plan+render %.3f s, %d statements)\n' \
    "$t" "$(awk -v x="$t" -v y="$floor" 'BEGIN{print x/y}')" "$ti" "$tp" "$nst"
  if [[ -n $migra ]]; then
    tm=$(best "$migra" "$a" "$b" --unsafe)
    printf '         migra              %.3f s   dbhost is %.1fx faster (goal >= 10x)\n' "$tm" \
      "$(awk -v x="$tm" -v y="$t" 'BEGIN{print x/y}')"
  fi
done
if [[ -n ${result[2000]:-} ]]; then
  printf 'goal 2000 tables <= 2 s: %s\n' "$(awk -v x="${result[2000]}" 'BEGIN{print (x <= 2) ? "met" : "NOT met"}')"
fi
if [[ -n ${result[2000]:-} && -n ${result[10000]:-} ]]; then
  printf 'growth 2000 -> 10000: %.2fx (goal <= 6x)\n' "$(awk -v x="${result[2000]}" -v y="${result[10000]}" 'BEGIN{print y/x}')"
fi
[[ -n $migra ]] || echo "migra: not installed (BENCH_INSTALL_MIGRA=1 installs @pgkit/migra into $npmdir)"
