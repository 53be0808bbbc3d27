#!/usr/bin/env bash
# bench/lint.sh: how fast is the static lint beside squawk, and what does --trace cost?
#
# 1. Generates (once, cached under $TMPDIR) 500 migration files of DDL, then times
#      dbhost lint FILES...        (static rules, libpg_query parse of every statement)
#    beside
#      squawk FILES...             (npm package squawk-cli: installed under $TMPDIR by this
#                                   benchmark when missing; its native binary is timed, not
#                                   the node shim)
#    best of RUNS each, and prints both and the ratio. Goal: ratio <= 1. Without squawk
#    (no npm, the install failed, or BENCH_SMOKE=1 and it is not installed yet) dbhost's
#    figure is printed alone and the output says why.
# 2. On the example project: `dbhost migrate lint --latest 3 --trace` (starts a throwaway
#    server, seeds, runs and measures the three files) against the floor, the replay step
#    of `dbhost check-migrations --full --no-trace` (a throwaway server and a plain replay
#    of the same files, time printed by it; the replay cache is off for it, so it really
#    replays). Goal: the trace costs <= 1 s over the replay.
#
# Environment: BUILD (default build), FILES (default 500), RUNS (default 5),
#              BENCH_SMOKE=1 (installs nothing; a missed goal is reported, exit status 0)
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${BUILD:-build}
[[ $build = /* ]] || build=$root/$build
dbhost=$build/dbhost
files=${FILES:-500}
runs=${RUNS:-5}
export LC_ALL=C

if [[ ! -x $dbhost ]]; then
  echo "bench/lint.sh: $dbhost not found (build first, or set BUILD)" >&2
  exit 2
fi
export DBHOST_RUNTIME_DIR=${DBHOST_RUNTIME_DIR:-${TMPDIR:-/tmp}/dbhost-bench-lint-rt}
mkdir -p "$DBHOST_RUNTIME_DIR" && chmod 0711 "$DBHOST_RUNTIME_DIR"

data=${TMPDIR:-/tmp}/dbhost-bench-lint-data-v1-$files
if [[ ! -f $data/.complete ]]; then
  rm -rf "$data" && mkdir -p "$data"
  "$dbhost" lua "$root/bench/lib/gen_lint.lua" "$data" "$files"
  touch "$data/.complete"
fi

# squawk: npm install into a cache folder when missing
sq_dir=${TMPDIR:-/tmp}/dbhost-bench-squawk
find_squawk() {
  squawk=$(ls "$sq_dir"/node_modules/@squawk-cli/*/bin/squawk 2>/dev/null | head -n 1 || true)
  [[ -n $squawk || ! -x $sq_dir/node_modules/.bin/squawk ]] || squawk=$sq_dir/node_modules/.bin/squawk
}
find_squawk
sq_why=""
if [[ -z $squawk ]]; then
  if [[ ${BENCH_SMOKE:-0} = 1 ]]; then
    sq_why="not installed in $sq_dir, and BENCH_SMOKE=1 installs nothing"
  elif ! command -v npm >/dev/null; then
    sq_why="npm is needed to install squawk-cli"
  else
    mkdir -p "$sq_dir"
    npm install --silent --prefix "$sq_dir" squawk-cli >/dev/null 2>&1 || true
    find_squawk
    [[ -n $squawk ]] || sq_why="npm install squawk-cli failed"
  fi
fi

# best_of CMD... -> seconds (best wall time of $runs runs; output discarded, any exit status)
best_of() {
  local best=
  for _ in $(seq "$runs"); do
    local t0 t1
    t0=$(date +%s.%N)
    "$@" >/dev/null 2>&1 || true
    t1=$(date +%s.%N)
    best=$(echo "$t0 $t1 ${best:-999}" | awk '{d=$2-$1; print (d<$3)?d:$3}')
  done
  echo "$best"
}

list=("$data"/*.sql)
dh=$(best_of "$dbhost" lint "${list[@]}")
findings=$("$dbhost" lint "${list[@]}" | tail -n 1 || true)
echo "static lint, ${#list[@]} files:"
printf '  dbhost lint  %6.3f s   (%s)\n' "$dh" "$findings"
ratio=""
if [[ -n $squawk ]]; then
  sq=$(best_of "$squawk" "${list[@]}")
  ratio=$(echo "$dh $sq" | awk '{printf "%.2f", $1/$2}')
  printf '  squawk       %6.3f s   (%s)\n' "$sq" "$("$squawk" --version 2>/dev/null || echo squawk)"
  echo "  ratio dbhost/squawk = $ratio (goal <= 1)"
else
  echo "  squawk: not available ($sq_why), so no ratio"
fi

# trace on the example project
cd "$root"
t_trace=$(RUNS=1 best_of "$dbhost" migrate lint --latest 3 --trace)
t_static=$(best_of "$dbhost" migrate lint --latest 3)
replay=$(DBHOST_NO_CACHE=1 "$dbhost" check-migrations --full --no-trace 2>/dev/null | sed -n 's/^ok *migrations replay cleanly.*(\(.*\))$/\1/p')
echo "trace on the example project (3 files):"
printf '  migrate lint --latest 3 --trace  %6.3f s (server start, seed, trace)\n' "$t_trace"
printf '  migrate lint --latest 3          %6.3f s\n' "$t_static"
echo "  check-migrations replay step: ${replay:-?}"
awk -v a="$t_trace" -v r="${replay:-0}" 'BEGIN {
  s = r; if (s ~ /ms$/) { sub(/ms$/, "", s); s = s / 1000 } else { sub(/s$/, "", s) }
  printf "  trace over the replay: %.3f s (goal <= 1 s)\n", a - s }'
[[ -z $ratio || ${BENCH_SMOKE:-0} = 1 ]] || awk -v r="$ratio" 'BEGIN { exit (r <= 1.0) ? 0 : 1 }'
