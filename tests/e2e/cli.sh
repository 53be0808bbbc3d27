#!/usr/bin/env bash
# The host and the command driver as a user meets them.
. "$(dirname "$0")/lib/assert.sh"
scratch
cd "$SCRATCH"

run "$DBHOST" --version
expect_rc 0; expect_out "dbhost "; expect_out "Lua 5.4"

run "$DBHOST" help
expect_rc 0
expect_out "migrate hash"; expect_out "migrate validate"; expect_out "check-migrations"; expect_out "which"

run "$DBHOST"
expect_rc 0; expect_out "Commands:"

run "$DBHOST" no-such-command
expect_rc 2; expect_err "dbhost: unknown command 'no-such-command'"

run "$DBHOST" --bogus
expect_rc 2; expect_err "unknown flag --bogus"

run "$DBHOST" migrate hash --nope
expect_rc 2; expect_err "unknown flag --nope for 'migrate hash'"

run "$DBHOST" migrate hash --dir
expect_rc 2; expect_err "flag --dir needs a value"

run "$DBHOST" migrate validate --help
expect_rc 0; expect_out "Usage: dbhost migrate validate"; expect_out "--dir DIR"

run "$DBHOST" help migrate hash
expect_rc 0; expect_out "Usage: dbhost migrate hash"

# which: bundled by default
run "$DBHOST" which migrate hash
expect_rc 0; expect_out "(bundled) commands/migrate/hash.lua"

run "$DBHOST" which "migrate hash"
expect_rc 0; expect_out "(bundled) commands/migrate/hash.lua"

run "$DBHOST" apply --help
expect_out "(file|all|none)"

run "$DBHOST" which nothing-here
expect_rc 1; expect_err "no command 'nothing-here'"

# A project's scripts/commands/ comes first and can add or replace commands.
mkdir -p scripts/commands/migrate
cat > scripts/commands/hello.lua <<'LUA'
return {
  summary = "Say hello (a project command)",
  options = { { "name", arg = "NAME", default = "world" } },
  run = function(opts) io.stdout:write("hello ", opts.name, "\n") return 0 end,
}
LUA
cat > scripts/commands/migrate/validate.lua <<'LUA'
return { summary = "project override", run = function() io.stdout:write("overridden\n") return 3 end }
LUA
run "$DBHOST" hello --name=dbhost
expect_rc 0; expect_out "hello dbhost"
run "$DBHOST" help
expect_out "Say hello (a project command)"; expect_out "project override"
run "$DBHOST" migrate validate
expect_rc 3; expect_out "overridden"
run "$DBHOST" which migrate validate
expect_out "scripts/commands/migrate/validate.lua"

# DBHOST_PATH: after the project by default; ';;' places the defaults.
mkdir -p extra
cat > extra/hello.lua <<'LUA'
return { summary = "from DBHOST_PATH", run = function() io.stdout:write("extra\n") end }
LUA
cat > extra/only-extra.lua <<'LUA'
return { summary = "only in DBHOST_PATH", run = function() io.stdout:write("only extra\n") end }
LUA
DBHOST_PATH="$SCRATCH/extra" run "$DBHOST" hello
expect_out "hello world"
DBHOST_PATH="$SCRATCH/extra;;" run "$DBHOST" hello
expect_out "extra"
DBHOST_PATH="$SCRATCH/extra" run "$DBHOST" only-extra
expect_rc 0; expect_out "only extra"

# Strict globals: a typo in a command script is an error, not a silent nil.
cat > scripts/commands/typo.lua <<'LUA'
return { summary = "typo", run = function() return undefined_name end }
LUA
run "$DBHOST" typo
expect_rc 1; expect_err "undeclared global 'undefined_name'"

# A script that does not return a command table
echo 'return 42' > scripts/commands/broken.lua
run "$DBHOST" broken
expect_rc 2; expect_err "must return a table with a 'run' function"

# A syntax error names the file and line
printf 'return {\n  run = function( end\n}\n' > scripts/commands/syntax.lua
run "$DBHOST" syntax
expect_rc 2; expect_err "scripts/commands/syntax.lua:2:"

# Structured errors choose the exit status
cat > scripts/commands/usage-error.lua <<'LUA'
return { summary = "x", run = function() require("dbhost.errors").usage("bad usage here") end }
LUA
run "$DBHOST" usage-error
expect_rc 2; expect_eq "$err" "dbhost: bad usage here"

# Ctrl-C (SIGINT) stops a running script with status 130
cat > scripts/commands/spin.lua <<'LUA'
return { summary = "x", run = function() io.stdout:write("spinning\n") io.stdout:flush() while true do end end }
LUA
"$DBHOST" spin >spin.out 2>spin.err &
pid=$!
for _ in $(seq 600); do grep -q spinning spin.out 2>/dev/null && break; sleep 0.05; done
kill -INT "$pid"
set +e; wait "$pid"; rc=$?; set -e
expect_eq "$rc" 130 "exit status after SIGINT"
grep -q "dbhost: interrupted" spin.err || fail "no interrupted message: $(cat spin.err)"

# dbhost lua runs a script with the bindings and lifts strict globals
cat > t.lua <<'LUA'
x = 1
local hash = require "dbhost.hash"
io.write(#hash.sha256(""), " ", arg[0], " ", table.concat({...}, " "), "\n")
LUA
run "$DBHOST" lua t.lua a b
expect_rc 0; expect_out "32 t.lua a b"

summary
