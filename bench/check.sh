#!/usr/bin/env bash
# bench/check.sh: `make check-migrations` on the example project with a warm
# server cache. Goal: <= 1 s wall. Prints the best and median of RUNS runs of the
# make target and of the bare `dbhost check-migrations` it runs.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
runs=${RUNS:-5}
make -s build >/dev/null
build/dbhost check-migrations >/dev/null   # warms the server cache if it is cold

time_runs() {
  local times=()
  for _ in $(seq "$runs"); do
    local t0 t1
    t0=$(date +%s.%N)
    "$@" >/dev/null
    t1=$(date +%s.%N)
    times+=("$(awk -v a="$t0" -v b="$t1" 'BEGIN{printf "%.3f", b - a}')")
  done
  printf '%s\n' "${times[@]}" | sort -n | awk '{a[NR]=$1} END{printf "best %.3f s, median %.3f s", a[1], a[int((NR+1)/2)]}'
}
printf 'make check-migrations (warm):     %s (goal <= 1 s)\n' "$(time_runs make -s check-migrations)"
printf 'dbhost check-migrations (warm):   %s\n' "$(time_runs build/dbhost check-migrations)"
