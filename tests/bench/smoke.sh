#!/usr/bin/env bash
# The ctest bench/smoke: every bench/*.sh once at its smallest size, so that a bench that
# breaks fails the suite (they are not run otherwise). BENCH_SMOKE=1 tells the benches to
# install nothing (a part that needs a tool not installed says why it is left out) and to
# report a missed goal rather than exit 1: figures taken at this size, on a machine busy
# with the rest of the suite, say nothing about the goals. A bench fails here when it
# exits non-zero, runs too long, or prints no figure (a number with s, ms, MB or x).
# A bench not listed below fails too: give it its smallest size here.
# ONLY=NAME (e.g. ONLY=lint.sh) runs that bench alone.
set -uo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
export BENCH_SMOKE=1 RUNS=1
export BUILD=${DBHOST_BUILD_DIR:-$root/build}
unset DBHOST_TEST_DATABASE_URL

# name -> "ENV=... -- ARGS..." (the smallest size each bench takes)
declare -A size=(
  [apply.sh]="-- 20"
  [check.sh]="-- 20"
  [diff.sh]="-- 20"
  [fixtures.sh]="--"
  [hash.sh]="FILES=30 --"
  [lambda.sh]="EVENTS=2 --"
  [lint.sh]="FILES=20 --"
)

failed=()
for bench in "$root"/bench/*.sh; do
  name=$(basename "$bench")
  [[ -z ${ONLY:-} || $name = "$ONLY" ]] || continue
  if [[ -z ${size[$name]+set} ]]; then
    echo "FAIL: $name: no smallest size in tests/bench/smoke.sh" >&2
    failed+=("$name")
    continue
  fi
  read -r -a words <<<"${size[$name]}"
  envs=() args=() seen=0
  for w in "${words[@]}"; do
    if [[ $w = -- ]]; then seen=1; elif ((seen)); then args+=("$w"); else envs+=("$w"); fi
  done
  t0=$EPOCHREALTIME
  out=$(env "${envs[@]}" timeout 180 bash "$bench" "${args[@]}" 2>&1)
  rc=$?
  took=$(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }')
  echo "== bench/$name ${envs[*]} ${args[*]} (exit $rc, ${took} s)"
  sed 's/^/   /' <<<"$out"
  if ((rc != 0)); then
    echo "FAIL: bench/$name exited $rc" >&2
    failed+=("$name")
  elif ! grep -Eq '[0-9]+(\.[0-9]+)? ?(s|ms|MB|x)([^[:alnum:]]|$)' <<<"$out"; then
    echo "FAIL: bench/$name printed no figure" >&2
    failed+=("$name")
  fi
done
if ((${#failed[@]})); then
  echo "bench/smoke: ${#failed[@]} bench(es) failed: ${failed[*]}" >&2
  exit 1
fi
echo "bench/smoke: every bench ran"
