#!/usr/bin/env bash
# dbhost as root beside an unprivileged server user who plants things: a runtime
# folder and fixtures record made first, symbolic links in the instance folder,
# a postmaster.pid naming an unrelated root process. The planting is done by the
# server user (runuser), as SQL running COPY ... TO PROGRAM on a throwaway server
# could. Needs root: exits 77 (ctest: skipped, never counted as passed) otherwise.
. "$(dirname "$0")/lib/assert.sh"
if [ "$(id -u)" != 0 ]; then echo "root_safety: needs root, skipped"; exit 77; fi
scratch
cd "$SCRATCH"
chmod 755 "$SCRATCH"
SU=${DBHOST_SERVER_USER:-postgres}
id "$SU" >/dev/null 2>&1 || SU=nobody
as_su() { runuser -u "$SU" -- "$@"; }
export LUA_PATH="$DBHOST_SOURCE_DIR/scripts/?.lua;;"
unset DBHOST_TEST_DATABASE_URL
export DBHOST_RUNTIME_DIR="$SCRATCH/runtime"
# running PID: alive and not a zombie (a signalled child of this shell stays one)
running() { [ -r "/proc/$1/stat" ] && [ "$(cut -d' ' -f3 "/proc/$1/stat")" != Z ]; }

# `dbhost lua eval.lua CODE` runs a line of Lua inside dbhost
echo 'assert(load(arg[1]))()' > eval.lua

# A root-owned tree the plants aim at, and a root-only file.
mkdir -p victim/tree && echo keep > victim/tree/file && chmod 700 victim
echo "root-only-Secret-77" > secret && chmod 600 secret

# --- 1. a runtime folder made first by someone else is refused ------------------------
mkdir planted-rt && chown "$SU" planted-rt && chmod 755 planted-rt
key=$(mkdir -p proj && cd proj && "$DBHOST" lua ../eval.lua 'local h = require "dbhost.hash"
io.write(h.hex(h.sha256(require("dbhost.fs").realpath("."))):sub(1, 16))')
[ ${#key} = 16 ] || fail "project key: $key"
as_su sh -c "printf '{\"kind\":\"server\",\"pid\":1,\"started\":\"\",\"dir\":\"%s\"}\n' '$SCRATCH/victim' > planted-rt/fixtures-$key.json"
as_su sh -c "mkdir planted-rt/pg-15-evil && echo '1 ' > planted-rt/pg-15-evil/owner"
cd proj; DBHOST_RUNTIME_DIR="$SCRATCH/planted-rt" run "$DBHOST" fixtures down; cd ..
expect_rc 2 "fixtures down in a planted runtime folder"
expect_err "runtime folder $SCRATCH/planted-rt belongs to uid"
[ -f victim/tree/file ] || fail "fixtures down removed the tree named by a planted record"
pass
# the same folder, handed to root but left writable by others
chown root planted-rt && chmod 777 planted-rt
cd proj; DBHOST_RUNTIME_DIR="$SCRATCH/planted-rt" run "$DBHOST" fixtures down; cd ..
expect_rc 2 "a world-writable runtime folder"; expect_err "is writable by other users"
# a link in place of the folder
ln -s "$SCRATCH/victim" link-rt
cd proj; DBHOST_RUNTIME_DIR="$SCRATCH/link-rt" run "$DBHOST" fixtures down; cd ..
expect_rc 2 "a runtime folder that is a link"; expect_err "is not a directory (a link)"
[ -f victim/tree/file ] || fail "the tree behind a runtime link was touched"
pass
# the cache folder is checked the same way; no HOME means no guessable /tmp cache
mkdir planted-cache && chown "$SU" planted-cache
DBHOST_CACHE_DIR="$SCRATCH/planted-cache" DBHOST_RUNTIME_DIR="$SCRATCH/rt-cache" run "$DBHOST" lua "$SCRATCH/eval.lua" 'require("dbhost.db.server").cache_dir()'
expect_rc 2 "a cache folder of another user"; expect_err "cache folder $SCRATCH/planted-cache belongs to uid"
run env -u HOME -u XDG_CACHE_HOME -u DBHOST_CACHE_DIR "$DBHOST" lua "$SCRATCH/eval.lua" 'io.write(require("dbhost.db.server").cache_dir())'
expect_rc 0 "cache folder without HOME"
[[ $out != /tmp* ]] || fail "cache folder without HOME is under /tmp: $out"
pass

# --- 2. the server user cannot plant links where root writes -----------------------------
cat > plant.lua <<'LUA'
-- start a server; as its user (COPY ... TO PROGRAM) try to replace server.log and
-- the records by links to a root-only file, then read the log the way dbhost does
local server = require "dbhost.db.server"
local pg = require "dbhost.pg"
local fs = require "dbhost.fs"
local srv = assert(server.start())
local conn = assert(pg.connect(srv.url))
for _, name in ipairs { "server.log", "owner", "server", "new" } do
  local cmd = ("ln -sf %s %s/%s"):format(arg[1], srv.dir, name)
  local ok = conn:exec(("COPY (SELECT 1) TO PROGRAM %s"):format(conn:escape_literal(cmd)))
  io.write("planted ", name, ": ", tostring(ok ~= nil), "\n")
end
conn:close()
for _, name in ipairs { "server.log", "owner", "server" } do
  io.write(name, " is ", (fs.stat(srv.dir .. "/" .. name, true) or {}).type or "missing", "\n")
end
io.write("log: ", srv:log(), "\n")
local st = fs.stat(srv.dir, true)
io.write("instance uid=", st.uid, " mode=", ("%o"):format(st.mode), "\n")
io.write("data uid=", fs.stat(srv.data_dir, true).uid, "\n")
srv:stop()
LUA
run "$DBHOST" lua plant.lua "$SCRATCH/secret"
expect_rc 0 "planting links from SQL"
for name in server.log owner server new; do expect_out "planted $name: false"; done
expect_out "server.log is file"; expect_out "owner is file"; expect_out "server is file"
expect_out "instance uid=0 mode=711"
[[ $out != *"data uid=0"* ]] || fail "data/ was not handed to the server user: $out"
[[ $out != *root-only-Secret-77* ]] || fail "root read the planted link: $out"
pass

# fs.copytree (the data directory copy) refuses a link or a hard link in the source
mkdir src && chown "$SU" src
as_su ln -s "$SCRATCH/secret" src/postgresql.conf
run "$DBHOST" lua "$SCRATCH/eval.lua" "print(require('dbhost.fs').copytree('$SCRATCH/src', '$SCRATCH/dst'))"
expect_out "nil"; expect_out "ELOOP"
[ ! -e dst/postgresql.conf ] || fail "copytree followed a planted link"
pass

# the replay snapshot (a stopped server's data directory kept in the cache) is root's own
# copy; a link the server user planted in its data directory makes it refuse to keep one
cat > snap.lua <<'LUA'
local server = require "dbhost.db.server"
local pg = require "dbhost.pg"
local fs = require "dbhost.fs"
local srv = assert(server.start { snapshot = true })
if arg[1] == "plant" then
  local conn = assert(pg.connect(srv.url))
  assert(conn:exec(("COPY (SELECT 1) TO PROGRAM %s"):format(conn:escape_literal(
    ("ln -s %s %s/planted"):format(arg[2], srv.data_dir)))))
  conn:close()
end
local ok, err = srv:store_snapshot()
io.write("stored ", tostring(ok), " ", tostring(err), "\n")
local cache = server.cache_dir() .. "/snapshots"
for _, n in ipairs(fs.list(cache) or {}) do
  local st = fs.stat(cache .. "/" .. n .. "/data/PG_VERSION", true)
  io.write("snapshot ", n:match("^pg") and "complete" or "other", " ", tostring(st and st.uid), "\n")
end
LUA
export DBHOST_CACHE_DIR="$SCRATCH/snap-cache"
run "$DBHOST" lua snap.lua plant "$SCRATCH/secret"
expect_rc 0 "a planted link in a snapshot's data directory"
expect_out "stored nil copying "; expect_out "/data/planted: "
[[ $out != *"snapshot"* ]] || fail "a snapshot (or its staging folder) was left: $out"
[[ -z $(ls -A "$DBHOST_CACHE_DIR/snapshots") ]] || fail "snapshots: $(ls -A "$DBHOST_CACHE_DIR/snapshots")"
run "$DBHOST" lua snap.lua
expect_rc 0 "a snapshot as root"; expect_out "stored true"; expect_out "snapshot complete 0"
pass
unset DBHOST_CACHE_DIR

# --- 3. the janitor signals only the process it started --------------------------------
# (env resets SIGQUIT, which bash ignores in background jobs)
env --default-signal=QUIT sleep 300 & victim_pid=$!
cat > hang.lua <<'LUA'
local server = require "dbhost.db.server"
local srv = assert(server.start())
io.write("dir=", srv.dir, "\npid=", srv.process:pid(), "\nready\n")
io.stdout:flush()
while true do require("dbhost.proc").sleep(0.05) end
LUA
"$DBHOST" lua hang.lua >hang.out 2>&1 &
job=$!
for _ in $(seq 600); do grep -q '^ready' hang.out 2>/dev/null && break; sleep 0.05; done
dir=$(sed -n 's/^dir=//p' hang.out); pm=$(sed -n 's/^pid=//p' hang.out)
[ -n "$dir" ] || fail "server did not start: $(cat hang.out)"
kill -9 "$job"; wait "$job" 2>/dev/null || true
for _ in $(seq 100); do kill -0 "$pm" 2>/dev/null || break; sleep 0.05; done
# the server user points postmaster.pid at root's sleep, and tries the records too
as_su sh -c "printf '%s\n' $victim_pid > '$dir/data/postmaster.pid'"
if as_su sh -c "echo '$victim_pid 1 0 /usr/bin/sleep' > '$dir/server'" 2>/dev/null; then
  fail "the server user could write the instance's server record"
fi
pass
run "$DBHOST" lua "$SCRATCH/eval.lua" 'print(require("dbhost.db.server").sweep())'
expect_rc 0 "janitor"
running "$victim_pid" || fail "the janitor signalled root's process $victim_pid named in a planted postmaster.pid"
[ ! -e "$dir" ] || fail "the janitor left $dir"
pass
# a record whose pid was reused (same pid, another process): left alone
inst="$DBHOST_RUNTIME_DIR/pg-15-reused"
mkdir -m 711 "$inst"
echo "1 1" > "$inst/owner"   # init, with a start time that is not init's: the owner is gone
echo "$victim_pid 1 0 $(readlink /proc/$victim_pid/exe)" > "$inst/server"
touch -d '2 minutes ago' "$inst"
run "$DBHOST" lua "$SCRATCH/eval.lua" 'print(require("dbhost.db.server").sweep())'
running "$victim_pid" || fail "the janitor signalled a reused pid (start time differs)"
[ ! -e "$inst" ] || fail "the janitor left $inst"
pass
# a folder of another owner (an older dbhost's layout) is neither believed nor removed
foreign="$DBHOST_RUNTIME_DIR/pg-15-foreign"
mkdir "$foreign" && echo "1 1" > "$foreign/owner" && mkdir "$foreign/data"
printf '%s\n' "$victim_pid" > "$foreign/data/postmaster.pid"
chown -R "$SU" "$foreign" && touch -d '2 minutes ago' "$foreign"
run "$DBHOST" lua "$SCRATCH/eval.lua" 'print(require("dbhost.db.server").sweep())'
running "$victim_pid" || fail "the janitor signalled a pid named in a folder of another owner"
[ -d "$foreign" ] || fail "the janitor removed a folder of another owner"
rm -rf "$foreign"
pass
kill "$victim_pid"
summary
