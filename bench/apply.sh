#!/usr/bin/env bash
# bench/apply.sh [N]: apply N generated migrations (default 1000) into a fresh database.
#
# Prints dbhost's time beside
#   - the floor: the same files sent over one connection, one transaction per file,
#     no bookkeeping (bench/lib/floor_apply.lua);
#   - dbmate (npm package, installed into a cache directory when missing);
# as ratios, and the no-op re-run of the up-to-date database beside one connect +
# one query. Goals: <= 1.3x the floor, <= 0.7x dbmate, no-op <= 3x connect+query.
# The server is a throwaway one (tests/lib/pgserver.sh), unix socket only.
# Environment: RUNS (default 3); BUILD; BENCH_SMOKE=1 installs nothing (dbmate is timed
# only when already installed).
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${BUILD:-build}
[[ $build = /* ]] || build=$root/$build
dbhost=$build/dbhost
n=${1:-1000}
runs=${RUNS:-3}
[[ -x $dbhost ]] || { echo "bench/apply.sh: build first (make build)" >&2; exit 2; }

work=$(mktemp -d "${TMPDIR:-/tmp}/dbhost-bench-apply.XXXXXX")
sock=$(mktemp -d "${TMPDIR:-/tmp}/dbhost-bench-sock.XXXXXX")
chmod 755 "$work" "$sock"   # the server may run as an unprivileged user
cleanup() { bash "$root/tests/lib/pgserver.sh" stop "$work/data" "$sock" >/dev/null 2>&1 || true; rm -rf "$work" "$sock"; }
trap cleanup EXIT
bash "$root/tests/lib/pgserver.sh" start "$work/data" "$sock" >/dev/null
admin="postgresql:///postgres?host=$sock&user=postgres"
url_of() { echo "postgresql:///$1?host=$sock&user=postgres"; }
export PGOPTIONS="-c client_min_messages=warning"
newdb() { psql "$admin" -qAtX -c "DROP DATABASE IF EXISTS $1" -c "CREATE DATABASE $1" >/dev/null; url_of "$1"; }

cd "$work"   # (migrate hash updates a cloud-formation.yaml in the working directory)
"$dbhost" lua "$root/bench/lib/gen_migrations.lua" "$work/m" "$n"
"$dbhost" migrate hash --dir "$work/m" >/dev/null
stmts=$("$dbhost" lua /dev/stdin "$work/m" <<'LUA'
local sql, fs = require "dbhost.sql", require "dbhost.fs"
local n = 0
for _, f in ipairs(fs.list(arg[1])) do
  if f:match("%.sql$") then n = n + #assert(sql.split(fs.read(arg[1] .. "/" .. f))) end
end
print(n)
LUA
)

now() { date +%s.%N; }
# best RUN: run "$@" $runs times (each on a fresh database made by $prepare), keep the best
best() {
  local prepare=$1; shift
  local b=""
  for _ in $(seq "$runs"); do
    local url; url=$($prepare)
    local t0 t1; t0=$(now)
    "$@" "$url" >/dev/null
    t1=$(now)
    b=$(awk -v a="$b" -v d="$(awk -v x="$t0" -v y="$t1" 'BEGIN{print y-x}')" 'BEGIN{ if (a == "" || d < a) print d; else print a }')
  done
  echo "$b"
}
fresh() { newdb bench_apply; }
apply_dbhost() { "$dbhost" apply --dir "$work/m" --url "$1"; }
apply_floor() { "$dbhost" lua "$root/bench/lib/floor_apply.lua" "$1" "$work/m"; }

t_floor=$(best fresh apply_floor)
t_dbhost=$(best fresh apply_dbhost)
# sanity: dbhost applied everything
applied_url=$(url_of bench_apply)
applied=$(psql "$applied_url" -qAtX -c "SELECT count(*) FROM atlas_schema_revisions.atlas_schema_revisions WHERE applied = total")
[[ $applied == "$n" ]] || { echo "bench/apply.sh: dbhost applied $applied of $n files" >&2; exit 1; }

# no-op re-run of the up-to-date database vs one connect + one query (both whole processes)
noop() { "$dbhost" apply --dir "$work/m" --url "$1"; }
cq() { "$dbhost" lua "$root/bench/lib/connect_query.lua" "$1"; }
same() { echo "$applied_url"; }
t_noop=$(best same noop)
t_cq=$(best same cq)

# dbmate, from npm, into a cache directory
t_dbmate=""
npmdir=${DBHOST_BENCH_NPM:-${TMPDIR:-/tmp}/dbhost-bench-npm}
dbmate_why="npm install dbmate failed"
if [[ ${BENCH_SMOKE:-0} = 1 ]]; then
  dbmate_why="not installed in $npmdir, and BENCH_SMOKE=1 installs nothing"
elif [[ ! -x $npmdir/node_modules/.bin/dbmate ]]; then
  if command -v npm >/dev/null; then
    npm install --silent --prefix "$npmdir" dbmate >/dev/null 2>&1 || true
  else
    dbmate_why="npm not found to install it"
  fi
fi
if [[ -x $npmdir/node_modules/.bin/dbmate ]]; then
  mkdir -p "$work/dbmate"
  for f in "$work/m"/*.sql; do
    { echo "-- migrate:up"; cat "$f"; echo; echo "-- migrate:down"; } > "$work/dbmate/$(basename "$f")"
  done
  apply_dbmate() {
    "$npmdir/node_modules/.bin/dbmate" --no-dump-schema --migrations-dir "$work/dbmate" \
      --url "postgres://postgres@localhost/bench_apply?socket=$sock&sslmode=disable" up
  }
  t_dbmate=$(best fresh apply_dbmate)
fi

ratio() { awk -v a="$1" -v b="$2" 'BEGIN{ printf "%.2f", a / b }'; }
printf 'apply %d files (%d statements):\n' "$n" "$stmts"
printf '  dbhost apply          %.3f s\n' "$t_dbhost"
printf '  floor (one conn, tx per file, no bookkeeping) %.3f s   ratio %sx (goal <= 1.3x)\n' "$t_floor" "$(ratio "$t_dbhost" "$t_floor")"
if [[ -n $t_dbmate ]]; then
  printf '  dbmate up             %.3f s   ratio %sx (goal <= 0.7x)\n' "$t_dbmate" "$(ratio "$t_dbhost" "$t_dbmate")"
else
  printf '  dbmate: not available (%s)\n' "$dbmate_why"
fi
printf 'no-op re-run of %d applied files: %.4f s; connect + one query: %.4f s; ratio %sx (goal <= 3x)\n' \
  "$n" "$t_noop" "$t_cq" "$(ratio "$t_noop" "$t_cq")"
