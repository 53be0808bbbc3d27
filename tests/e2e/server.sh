#!/usr/bin/env bash
# Throwaway PostgreSQL servers (dbhost.db.server, dbhost.db.dev) as commands use them:
# start, privileges, cleanup at exit, after Ctrl-C and after kill -9 (the janitor).
. "$(dirname "$0")/lib/assert.sh"
scratch
cd "$SCRATCH"
chmod 755 "$SCRATCH"  # the server user must reach its runtime directory
export DBHOST_RUNTIME_DIR="$SCRATCH/runtime"

cat > start.lua <<'LUA'
local server = require "dbhost.db.server"
local pg = require "dbhost.pg"
local fs = require "dbhost.fs"
local srv = assert(server.start())
local conn = assert(pg.connect(srv.url))
local res = assert(conn:exec("SELECT current_setting('fsync') AS fsync, current_setting('listen_addresses') AS listen, "
  .. "current_setting('synchronous_commit') AS sc, current_setting('full_page_writes') AS fpw, "
  .. "current_setting('max_locks_per_transaction') AS locks"))
conn:close()
local status = fs.read("/proc/" .. srv.process:pid() .. "/status") or ""
io.write("dir=", srv.dir, "\n", "pid=", srv.process:pid(), "\n",
         "uid=", status:match("\nUid:%s+(%d+)") or "?", "\n",
         "fsync=", res.rows[1].fsync, "\n", "listen=[", res.rows[1].listen, "]\n",
         "replay=", res.rows[1].sc, ",", res.rows[1].fpw, ",", res.rows[1].locks, "\n",
         "started_in=", string.format("%.3f", srv.started_in), "\n")
io.stdout:flush()
if arg[1] == "hang" then while true do end end
if arg[1] == "keep" then return end   -- no explicit stop: closing the state stops it
srv:stop()
io.write("exists_after_stop=", tostring(fs.stat(srv.dir) ~= nil), "\n")
LUA

# start, settings, unprivileged user when root, explicit stop removes everything
run "$DBHOST" lua start.lua
expect_rc 0
expect_out "fsync=off"; expect_out "listen=[]"; expect_out "exists_after_stop=false"
# made for replaying migrations: no durability, a lock table for big schemas (53200 otherwise)
expect_out "replay=off,off,512"
if [ "$(id -u)" = 0 ]; then
  uid=$(sed -n 's/^uid=//p' <<<"$out")
  [ "$uid" != 0 ] && [ "$uid" != "?" ] || fail "server runs as uid $uid while dbhost runs as root"
  pass
fi

# no explicit stop: the server is stopped and removed when dbhost exits
run "$DBHOST" lua start.lua keep
expect_rc 0
dir=$(sed -n 's/^dir=//p' <<<"$out"); pid=$(sed -n 's/^pid=//p' <<<"$out")
[ ! -e "$dir" ] || fail "instance dir left after exit: $dir"
kill -0 "$pid" 2>/dev/null && fail "postmaster $pid still running after exit"
pass

# Ctrl-C: same
"$DBHOST" lua start.lua hang >int.out 2>int.err &
p=$!
for _ in $(seq 600); do grep -q started_in int.out 2>/dev/null && break; sleep 0.05; done
dir=$(sed -n 's/^dir=//p' int.out); pid=$(sed -n 's/^pid=//p' int.out)
[ -n "$dir" ] && [ -n "$pid" ] || fail "the server did not start: $(cat int.out int.err)"
kill -INT "$p"; set +e; wait "$p"; rc=$?; set -e
expect_eq "$rc" 130 "exit status after Ctrl-C"
[ ! -e "$dir" ] || fail "instance dir left after Ctrl-C"
kill -0 "$pid" 2>/dev/null && fail "postmaster still running after Ctrl-C"
pass

# kill -9: the postmaster dies with its parent (death signal); the next start sweeps the files
"$DBHOST" lua start.lua hang >kill.out 2>&1 &
p=$!
for _ in $(seq 600); do grep -q started_in kill.out 2>/dev/null && break; sleep 0.05; done
dir=$(sed -n 's/^dir=//p' kill.out); pid=$(sed -n 's/^pid=//p' kill.out)
[ -n "$dir" ] && [ -n "$pid" ] || fail "the server did not start: $(cat kill.out)"
kill -9 "$p"; wait "$p" 2>/dev/null || true
for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.05; done
kill -0 "$pid" 2>/dev/null && fail "postmaster survived kill -9 of dbhost"
[ -d "$dir" ] || fail "expected the killed run's directory to remain until the next start"
run "$DBHOST" lua start.lua
expect_rc 0
[ ! -e "$dir" ] || fail "the janitor did not remove $dir"
pass

# devdb: local:// and a scratch database on an existing server
cat > dev.lua <<'LUA'
local devdb = require "dbhost.db.dev"
local pg = require "dbhost.pg"
local dev = assert(devdb.open(arg[1]))
local conn = assert(pg.connect(dev.url))
local r = assert(conn:exec("SELECT current_database() AS db"))
conn:close()
io.write("db=", r.rows[1].db, " schema=", tostring(dev.schema), "\n")
dev:close()
LUA
run "$DBHOST" lua dev.lua "local://postgres/dev?search_path=public"
expect_rc 0; expect_out "db=dev schema=public"
run "$DBHOST" lua dev.lua "docker://postgres/15/dev"
expect_rc 0; expect_out "db=dev"
run "$DBHOST" lua dev.lua "docker://postgres/99/dev"
expect_rc 1; expect_err "PostgreSQL 99 is not installed; run 'dbhost install'"
run "$DBHOST" lua dev.lua "mysql://x"
expect_rc 1; expect_err "unsupported dev URL"

leftovers=$(ls "$DBHOST_RUNTIME_DIR" 2>/dev/null | grep '^pg-' || true)
[ -z "$leftovers" ] || fail "instances left behind: $leftovers"
summary
