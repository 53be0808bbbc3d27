# assert.sh: tiny helpers for the end-to-end scripts (sourced).
# Each script runs the real binary ($DBHOST) and exits non-zero on the first failure.
set -euo pipefail

: "${DBHOST:?DBHOST must name the built dbhost binary}"
DBHOST=$(cd "$(dirname "$DBHOST")" && pwd)/$(basename "$DBHOST")
: "${DBHOST_SOURCE_DIR:=$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)}"
: "${DBHOST_VECTORS:=$DBHOST_SOURCE_DIR/tests/vectors}"
PASSED=0
FAILED=0

fail() { echo "FAIL: $*" >&2; FAILED=$((FAILED + 1)); exit 1; }
pass() { PASSED=$((PASSED + 1)); }

# Passwords the suites put in URLs: no output of a command run through `run` may
# show one (a suite adds its own to TEST_PASSWORDS).
TEST_PASSWORDS=(s3cr3t-pw Dev-Pw-e2e1 To-Pw-e2e2 Url-Pw-e2e3 zq9x)

# run CMD...: runs it, sets $out, $err and $rc without stopping the script
run() {
  local o e p
  o=$(mktemp) e=$(mktemp)
  set +e
  "$@" >"$o" 2>"$e"
  rc=$?
  set -e
  out=$(cat "$o") err=$(cat "$e")
  rm -f "$o" "$e"
  for p in "${TEST_PASSWORDS[@]}"; do
    [[ "$out$err" != *"$p"* ]] || fail "a test password ($p) in the output of: $*"$'\n'"$out"$'\n'"$err"
  done
}

expect_rc() { [ "$rc" -eq "$1" ] || fail "${2:-command}: exit $rc, want $1; stdout: $out; stderr: $err"; pass; }
expect_out() { [[ "$out" == *"$1"* ]] || fail "${2:-stdout} does not contain: $1; got: $out"; pass; }
expect_err() { [[ "$err" == *"$1"* ]] || fail "${2:-stderr} does not contain: $1; got: $err"; pass; }
expect_eq() { [ "$1" == "$2" ] || fail "${3:-values} differ: got [$1] want [$2]"; pass; }

# A scratch directory removed on exit
scratch() {
  SCRATCH=$(mktemp -d "${TMPDIR:-/tmp}/dbhost-e2e.XXXXXX")
  trap 'rm -rf "$SCRATCH"' EXIT
}

summary() { echo "$PASSED passed, $FAILED failed"; }

# jget PATH [JSON]: the value at PATH (".a[1].b") of JSON (default: $out), canonical
# (keys sorted, no spaces), read with dbhost's own JSON module
jget() { "$DBHOST" lua "$DBHOST_SOURCE_DIR/tests/e2e/lib/jget.lua" "$1" <<<"${2-$out}"; }
