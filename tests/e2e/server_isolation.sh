#!/usr/bin/env bash
# Throwaway servers keep to themselves: the caller's secrets never reach a server
# (read back through COPY ... FROM PROGRAM 'env'), and two dbhost processes
# sharing one runtime folder do not touch each other's server, even when one of
# them is killed with SIGKILL and the janitor runs.
. "$(dirname "$0")/lib/assert.sh"
scratch
cd "$SCRATCH"
chmod 755 "$SCRATCH"  # the server user must reach its runtime directory
export DBHOST_RUNTIME_DIR="$SCRATCH/runtime"

cat > hold.lua <<'LUA'
-- start a server, print what identifies it, then wait (hang) or read its env
local server = require "dbhost.db.server"
local pg = require "dbhost.pg"
local srv = assert(server.start())
io.write("dir=", srv.dir, "\npid=", srv.process:pid(), "\nurl=", srv.url, "\n")
if arg[1] == "env" then
  local conn = assert(pg.connect(srv.url))
  assert(conn:exec("CREATE TEMP TABLE e (line text); COPY e FROM PROGRAM 'env'"))
  for _, row in ipairs(assert(conn:exec("SELECT line FROM e ORDER BY line")).rows) do
    io.write("env: ", row.line, "\n")
  end
  conn:close()
end
io.write("ready\n")
io.stdout:flush()
if arg[1] == "hang" then local proc = require "dbhost.proc"; while true do proc.sleep(0.05) end end
srv:stop()
LUA

# The caller's secrets stay with the caller.
export PGPASSWORD=pgpass-Secret-41 DATABASE_URL="postgres://app:db-Secret-42@db.example.com/app"
export AWS_SECRET_ACCESS_KEY=aws-Secret-43
run "$DBHOST" lua hold.lua env
unset PGPASSWORD DATABASE_URL AWS_SECRET_ACCESS_KEY
expect_rc 0 "server with secrets in the environment"
expect_out "env: PATH="
for s in pgpass-Secret-41 db-Secret-42 aws-Secret-43 PGPASSWORD DATABASE_URL AWS_SECRET_ACCESS_KEY; do
  [[ $out != *"$s"* ]] || fail "the server's environment holds $s: $(grep '^env:' <<<"$out")"
  pass
done

# Two processes, one runtime folder: A is killed with SIGKILL, B's server lives on.
start_held() { # $1: name -> $1.out; waits until ready
  "$DBHOST" lua hold.lua hang >"$1.out" 2>"$1.err" &
  eval "${1}_job=$!"
  for _ in $(seq 600); do grep -q '^ready' "$1.out" 2>/dev/null && return 0; sleep 0.05; done
  fail "$1 did not start: $(cat "$1.out" "$1.err")"
}
start_held A
start_held B
a_dir=$(sed -n 's/^dir=//p' A.out); a_pid=$(sed -n 's/^pid=//p' A.out)
b_dir=$(sed -n 's/^dir=//p' B.out); b_pid=$(sed -n 's/^pid=//p' B.out); b_url=$(sed -n 's/^url=//p' B.out)
[ "$a_dir" != "$b_dir" ] && [ "$(dirname "$a_dir")" = "$(dirname "$b_dir")" ] || fail "not one runtime folder: $a_dir $b_dir"
b_start=$(cut -d' ' -f22 "/proc/$b_pid/stat")
kill -9 "$A_job"; wait "$A_job" 2>/dev/null || true
for _ in $(seq 100); do kill -0 "$a_pid" 2>/dev/null || break; sleep 0.05; done
kill -0 "$a_pid" 2>/dev/null && fail "A's postmaster survived kill -9 of A"
pass
# the janitor runs at the next start, twice over
run "$DBHOST" lua hold.lua
expect_rc 0 "a third run beside B"
run "$DBHOST" lua hold.lua
expect_rc 0 "a fourth run beside B"
[ ! -e "$a_dir" ] || fail "the janitor left A's folder $a_dir"
[ -d "$b_dir/data" ] || fail "the janitor removed B's live instance $b_dir"
kill -0 "$b_pid" 2>/dev/null || fail "B's postmaster $b_pid is gone"
[ "$(cut -d' ' -f22 "/proc/$b_pid/stat")" = "$b_start" ] || fail "B's postmaster pid now names another process"
run psql "$b_url" -qAtX -c "SELECT 'b alive'"
expect_rc 0 "B still answers"; expect_out "b alive"
grep -qi "shutdown" "$b_dir/server.log" && fail "B's server was asked to shut down: $(cat "$b_dir/server.log")"
pass
kill -INT "$B_job"; wait "$B_job" 2>/dev/null || true
for _ in $(seq 100); do kill -0 "$b_pid" 2>/dev/null || break; sleep 0.05; done
leftovers=$(ls "$DBHOST_RUNTIME_DIR" | grep '^pg-' || true)
[ -z "$leftovers" ] || fail "instances left behind: $leftovers"
pass
summary
