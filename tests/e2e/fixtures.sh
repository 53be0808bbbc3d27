#!/usr/bin/env bash
# dbhost fixtures up | url | down, the janitor honouring an `up` server, a killed
# busted run cleaned by the next one, and two busted processes at once.
. "$(dirname "$0")/lib/assert.sh"
scratch
# tmpfs when there is one: the server's files on a slow disk cost seconds
if [ -d /dev/shm ]; then rm -rf "$SCRATCH"; SCRATCH=$(mktemp -d /dev/shm/dbhost-e2e.XXXXXX); trap 'rm -rf "$SCRATCH"' EXIT; fi
chmod 755 "$SCRATCH"
export DBHOST_RUNTIME_DIR="$SCRATCH/runtime"
unset DBHOST_TEST_DATABASE_URL
export LUA_PATH="$DBHOST_SOURCE_DIR/scripts/?.lua;;"
mkdir "$SCRATCH/proj"; cd "$SCRATCH/proj"
cp -r "$DBHOST_SOURCE_DIR/migrations" "$DBHOST_SOURCE_DIR/atlas.hcl" .

pm_of() { sed -n 's/.*"pid":\([0-9]*\).*/\1/p' "$DBHOST_RUNTIME_DIR"/fixtures-*.json; }

# up: DATABASE_URL of a migrated database; the server outlives dbhost
run "$DBHOST" fixtures up
expect_rc 0
expect_out "DATABASE_URL=postgresql:///dbhost_fxup_"
url=${out#DATABASE_URL=}
[[ $out != *password* ]] || fail "password printed"
pm=$(pm_of)
kill -0 "$pm" 2>/dev/null || fail "postmaster $pm not running after up exited"
pass
run psql "$url" -qAtX -c "INSERT INTO accounts (email) VALUES ('a@example.com')" -c "SELECT count(*) FROM accounts"
expect_rc 0; expect_out "1"

# --shell: export-ready, same server (up again reuses it)
run "$DBHOST" fixtures up --shell
expect_rc 0
expect_out "export DATABASE_URL='postgresql:///dbhost_fxup_"
expect_eq "$(pm_of)" "$pm" "postmaster after a second up"

# url: a fresh isolated database each time
run "$DBHOST" fixtures url
expect_rc 0
u1=$out
run "$DBHOST" fixtures url
u2=$out
[ "$u1" != "$u2" ] || fail "url printed the same database twice"
pass
run psql "$u1" -qAtX -c "INSERT INTO accounts (email) VALUES ('b@example.com')"
expect_rc 0
run psql "$u2" -qAtX -c "SELECT count(*) FROM accounts"
expect_rc 0; expect_eq "$out" "0" "rows in a fresh database"

# the janitor (any throwaway server start) honours the up record
cat > one_spec.lua <<'LUA'
local fixtures = require "dbhost.fixtures"
describe("one", function()
  local db = fixtures.session { server = "throwaway" }
  it("works", function() assert(db:exec("INSERT INTO accounts (email) VALUES ('c@example.com')")) end)
  it("is isolated", function()
    assert.are.equal("0", assert(db:exec("SELECT count(*) AS n FROM accounts")).rows[1].n)
  end)
end)
LUA
run "$DBHOST" lua /usr/bin/busted one_spec.lua
expect_rc 0
kill -0 "$pm" 2>/dev/null || fail "a busted run's janitor stopped the up server"
pass
n=$(ls "$DBHOST_RUNTIME_DIR" | grep -c '^pg-' || true)
expect_eq "$n" 1 "instances after the busted run (only up's)"

# down: stops it and removes its files; a second down is a no-op
run "$DBHOST" fixtures down
expect_rc 0; expect_out "stopped the test server"
for _ in $(seq 100); do kill -0 "$pm" 2>/dev/null || break; sleep 0.02; done
kill -0 "$pm" 2>/dev/null && fail "postmaster still running after down"
[ -z "$(ls "$DBHOST_RUNTIME_DIR")" ] || fail "files left after down: $(ls "$DBHOST_RUNTIME_DIR")"
pass
run "$DBHOST" fixtures down
expect_rc 0; expect_out "no test server is running"
run "$DBHOST" fixtures url
expect_rc 1; expect_err "run 'dbhost fixtures up' first"

# an up server that died (kill -9) is swept by the next command
run "$DBHOST" fixtures up
expect_rc 0
pm=$(pm_of)
kill -9 "$pm"
for _ in $(seq 100); do kill -0 "$pm" 2>/dev/null || break; sleep 0.02; done
run "$DBHOST" fixtures url
expect_rc 1; expect_err "run 'dbhost fixtures up' first"
n=$(ls "$DBHOST_RUNTIME_DIR" | grep -c . || true)
expect_eq "$n" 0 "files left after a dead up server was swept"

# a failing migration: up fails with file and line, leaves nothing running
mkdir ../broken && cp -r migrations atlas.hcl ../broken/ && cd ../broken
printf 'CREATE TABLE t (id int);\nSELECT nope;\n' > migrations/20260301000000_bad.sql
"$DBHOST" migrate hash >/dev/null
run "$DBHOST" fixtures up
expect_rc 1
expect_err "20260301000000_bad.sql:2:"
expect_err 'column "nope" does not exist'
[ -z "$(ls "$DBHOST_RUNTIME_DIR")" ] || fail "files left after a failed up: $(ls "$DBHOST_RUNTIME_DIR")"
pass
cd ../proj

# a killed busted run: its server dies with it, the next run removes its files
cat > hang_spec.lua <<'LUA'
local fixtures = require "dbhost.fixtures"
describe("hang", function()
  local db = fixtures.session { server = "throwaway" }
  it("hangs", function() io.open("hang.mark", "w"):close() while true do db:exec("SELECT 1") end end)
end)
LUA
"$DBHOST" lua /usr/bin/busted hang_spec.lua >/dev/null 2>&1 &
p=$!
for _ in $(seq 200); do [ -e hang.mark ] && break; sleep 0.05; done
[ -e hang.mark ] || fail "the hanging run never started its test"
kill -9 "$p"; wait "$p" 2>/dev/null || true
run "$DBHOST" lua /usr/bin/busted one_spec.lua
expect_rc 0
n=$(ls "$DBHOST_RUNTIME_DIR" | grep -c . || true)
expect_eq "$n" 0 "files left after the run following a killed one"

# two busted processes at once, each writing and committing the same unique email
cat > both_spec.lua <<'LUA'
local fixtures = require "dbhost.fixtures"
describe("parallel", function()
  local maker = fixtures.session_maker { server = "throwaway" }
  for i = 1, 20 do
    it("commits " .. i, function()
      local conn = assert(maker())
      assert(conn:exec("INSERT INTO accounts (email) VALUES ('same@example.com')"))
      assert.are.equal("1", assert(conn:exec("SELECT count(*) AS n FROM accounts")).rows[1].n)
      conn:close()
    end)
  end
end)
LUA
"$DBHOST" lua /usr/bin/busted both_spec.lua >p1.out 2>&1 & a=$!
"$DBHOST" lua /usr/bin/busted both_spec.lua >p2.out 2>&1 & b=$!
wait "$a" || fail "first parallel run failed: $(cat p1.out)"
wait "$b" || fail "second parallel run failed: $(cat p2.out)"
grep -q "20 successes" p1.out && grep -q "20 successes" p2.out || fail "parallel runs: $(cat p1.out p2.out)"
pass
n=$(ls "$DBHOST_RUNTIME_DIR" | grep -c . || true)
expect_eq "$n" 0 "files left after the parallel runs"
summary
