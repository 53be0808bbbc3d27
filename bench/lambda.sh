#!/usr/bin/env bash
# bench/lambda.sh: the dbhost Lambda runtime's costs, on loopback stand-ins of the
# Lambda Runtime API and the CloudFormation ResponseURL (tests/lambda/standins.py).
#
#   start      bootstrap exec to its first GET invocation/next (goal <= 20 ms)
#   per event  overhead with nothing to apply, no database connection: an Update with an
#              unchanged MigrationHash, from /next answered to the invocation response
#              posted, the ResponseURL PUT in between (goal <= 50 ms)
#   db event   the same with a database already up to date (secret, connection, lock,
#              plan, answer), shown whole and without dbhost's connection time, on a
#              throwaway server (tests/lib/pgserver.sh)
#   layer      layer.zip size (goal <= 10 MB)
# Each is printed with its floor and the ratio (see bench/lib/lambda_bench.py).
#
# Environment: BUILD build directory (default "build"); RUNS starts (default 15);
#              EVENTS events (default 50); PYTHON (default: a python3 with botocore);
#              BENCH_SMOKE=1 a missed goal is reported, not an exit status of 1
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${BUILD:-build}
[[ $build = /* ]] || build=$root/$build
dbhost=$build/dbhost
[[ -x $dbhost ]] || { echo "bench/lambda.sh: $dbhost not found (build first, or set BUILD)" >&2; exit 2; }
py=${PYTHON:-}
if [[ -z $py ]]; then
  for p in /usr/bin/python3 python3; do
    if command -v "$p" >/dev/null && "$p" -c 'import botocore' 2>/dev/null; then py=$p; break; fi
  done
fi
[[ -n $py ]] || { echo "bench/lambda.sh: needs python3 with botocore (tools/bootstrap.sh)" >&2; exit 2; }

tmp=$(mktemp -d "${TMPDIR:-/tmp}/dbhost-bench-lambda.XXXXXX")
sock=$(mktemp -d "${TMPDIR:-/tmp}/dbhost-bench-sock.XXXXXX")
chmod 755 "$tmp" "$sock"   # the server may run as an unprivileged user
cleanup() { bash "$root/tests/lib/pgserver.sh" stop "$tmp/data" "$sock" >/dev/null 2>&1 || true; rm -rf "$tmp" "$sock"; }
trap cleanup EXIT
cd "$root"
"$dbhost" bundle-lambda --out "$tmp/out" >/dev/null
unzip -q "$tmp/out/layer.zip" -d "$tmp/opt"
unzip -q "$tmp/out/function.zip" -d "$tmp/task"
hash=$(head -n 1 "$tmp/task/migrations/atlas.sum")

# a database already at the example project's last version, and dbhost's own connection time to it
bash "$root/tests/lib/pgserver.sh" start "$tmp/data" "$sock" >/dev/null
psql "postgresql:///postgres?host=$sock&user=postgres" -qAtX -c "CREATE DATABASE bench" >/dev/null
"$dbhost" apply --url "postgresql:///bench?host=$sock&user=postgres" --dir "$tmp/task/migrations" >/dev/null
connect_ms=$("$dbhost" lua /dev/stdin "host=$sock dbname=bench user=postgres" <<'LUA'
local pg, proc = require "dbhost.pg", require "dbhost.proc"
local t = {}
for i = 1, 25 do
  local t0 = proc.now()
  local c = assert(pg.connect(arg[1]))
  t[i] = proc.now() - t0
  c:close()
end
table.sort(t)
print(("%.2f"):format(t[13] * 1000))
LUA
)

status=0
"$py" "$root/bench/lib/lambda_bench.py" "$tmp/opt" "$tmp/task" "$hash" "${RUNS:-15}" "${EVENTS:-50}" \
  "$sock" bench "$connect_ms" || status=$?
size=$(stat -c %s "$tmp/out/layer.zip")
awk -v s="$size" 'BEGIN { printf "layer.zip: %.2f MB (goal <= 10 MB; ratio to the goal %.2f)\n", s/1048576, s/10485760 }'
[[ $size -le 10485760 || ${BENCH_SMOKE:-0} = 1 ]] || status=1
exit $status
