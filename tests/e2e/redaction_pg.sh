#!/usr/bin/env bash
# No password reaches the output: every URL form of the redaction table given to
# the commands that print URLs or connection errors (apply, status, schema
# inspect/diff, check-migrations in text, JSON and Markdown, fixtures up). `run`
# (lib/assert.sh) fails on any test password in stdout or stderr.
. "$(dirname "$0")/lib/assert.sh"
. "$(dirname "$0")/lib/pg.sh"
scratch
cd "$SCRATCH"
chmod 755 "$SCRATCH"
export DBHOST_RUNTIME_DIR="$SCRATCH/runtime"
sock=${DBHOST_TEST_DATABASE_URL##*host=}; sock=${sock%%&*}

# URLs that cannot connect, in every form that once leaked (the password is Url-Pw-e2e3 or zq9x)
forms=(
  "postgres://u:Url-Pw-e2e3@127.0.0.1:1/db?connect_timeout=2"
  "POSTGRES://u:Url-Pw-e2e3@127.0.0.1:1/db"
  "PostgreSQL://u:Url-Pw-e2e3@127.0.0.1:1/db"
  "postgress://u:Url-Pw-e2e3@127.0.0.1:1/db"
  "mysql://u:Url-Pw-e2e3@127.0.0.1:3306/db"
  "postgres://u@127.0.0.1:1/db?pass%77ord=Url-Pw-e2e3"
  "postgres://u@127.0.0.1:1/db?PASSWORD=Url-Pw-e2e3"
  "postgres://u:Url@zq9x@127.0.0.1:1/db"
  "postgres://u:Url/zq9x@127.0.0.1:1/db"
  "postgres://u:Url?zq9x@127.0.0.1:1/db"
  "host=127.0.0.1 port=1 password=Url-Pw-e2e3 user=u"
  "host=127.0.0.1 port=1 password='Url-Pw-e2e3"
)
mkdir -p m
printf 'CREATE TABLE t (id int);\n' > m/1_t.sql
"$DBHOST" migrate hash --dir m >/dev/null
n=0
for u in "${forms[@]}"; do
  run "$DBHOST" apply --url "$u" --dir m
  [ "$rc" -ne 0 ] || fail "apply --url $u succeeded"
  run "$DBHOST" status --url "$u" --dir m
  run "$DBHOST" schema inspect --url "$u"
  run "$DBHOST" schema diff --from "$u" --to file://m/1_t.sql
  DATABASE_URL="$u" run "$DBHOST" apply --dir m
  n=$((n + 1))
done
pass
[ "$n" -ge 12 ] || fail "only $n forms tried"
# the desired side (a dev server is started first: once is enough)
run "$DBHOST" schema diff --from file://m/1_t.sql --to "postgres://u:Url@zq9x@127.0.0.1:1/db"
expect_rc 1 "schema diff --to an unreadable URL"

# check-migrations: the dev URL and --to URL hold passwords and work (trust auth)
dev="postgresql://postgres:Dev-Pw-e2e1@/postgres?host=$sock"
todb=$(newdb redaction_to); trap 'drop_created_dbs; rm -rf "$SCRATCH"' EXIT
sql "$todb" "CREATE TABLE t (id int)"
to="postgresql://postgres:To-Pw-e2e2@/${todb#postgresql:///}"
to=${to/\?host=/?host=}
for fmt in text json markdown; do
  run "$DBHOST" check-migrations --dir m --dev-url "$dev" --to "$to" --format "$fmt"
  expect_rc 0 "check-migrations --format $fmt"
  expect_out "xxxxx"
done
# a difference: the failure quotes the --to source
sql "$todb" "ALTER TABLE t ADD COLUMN note text"
for fmt in text json markdown; do
  run "$DBHOST" check-migrations --dir m --dev-url "$dev" --to "$to" --format "$fmt"
  expect_rc 1 "check-migrations with a difference, --format $fmt"
done
# a dev URL libpq cannot read, and a mistyped --to
for fmt in text json markdown; do
  run "$DBHOST" check-migrations --dir m --dev-url "postgress://u:Dev-Pw-e2e1@/x" --format "$fmt"
  [ "$rc" -ne 0 ] || fail "a mistyped dev URL passed"
  run "$DBHOST" check-migrations --dir m --dev-url "$dev" --to "mysql://u:To-Pw-e2e2@h/db" --format "$fmt"
  [ "$rc" -ne 0 ] || fail "a mysql --to passed"
done
pass

# a server message that quotes the URL's password is masked (text and JSON)
TEST_PASSWORDS+=(Srv-Pw-e2e4)
appdb=$(newdb redaction_app)
mkdir -p m2
printf '%s\n' "DO \$\$BEGIN RAISE EXCEPTION 'logged in with %', 'Srv-Pw' || '-e2e4'; END\$\$;" > m2/1_raise.sql
"$DBHOST" migrate hash --dir m2 >/dev/null
srv_url="postgresql://postgres:Srv-Pw-e2e4@/${appdb#postgresql:///}"
run "$DBHOST" apply --url "$srv_url" --dir m2
expect_rc 1 "a failing migration"; expect_err "logged in with xxxxx"
run "$DBHOST" apply --url "$srv_url" --dir m2 --format json
expect_rc 1 "a failing migration (JSON)"; expect_out "logged in with xxxxx"
# the same message through status and apply, from a file applied without a transaction:
# the revisions table keeps the last error, status prints it, and every command masks
# the passwords of the URLs it connected to (dbhost.db.connect, dbhost.main)
mkdir -p m3
printf '%s\n' "-- atlas:txmode none" "" "CREATE TABLE before_raise (id int);" "DO \$\$BEGIN RAISE EXCEPTION 'logged in with %', 'Srv-Pw' || '-e2e4'; END\$\$;" > m3/1_raise.sql
"$DBHOST" migrate hash --dir m3 >/dev/null
appdb3=$(newdb redaction_status)
srv_url3="postgresql://postgres:Srv-Pw-e2e4@/${appdb3#postgresql:///}"
run "$DBHOST" apply --url "$srv_url3" --dir m3
expect_rc 1 "a failing migration without a transaction"; expect_err "logged in with xxxxx"
run "$DBHOST" status --url "$srv_url3" --dir m3
expect_rc 1 "status after a failed migration"; expect_out "logged in with xxxxx"
run "$DBHOST" status --url "$srv_url3" --dir m3 --format json
expect_rc 1 "status after a failed migration (JSON)"; expect_out "logged in with xxxxx"

# fixtures up on an existing server given with a password
mkdir proj && cp -r m proj/migrations && cd proj
printf 'env "local" {\n  migration {\n    dir = "file://migrations"\n  }\n}\n' > atlas.hcl
run "$DBHOST" fixtures up --url "postgresql://postgres:Url-Pw-e2e3@/postgres?host=$sock"
expect_rc 0 "fixtures up --url with a password"
run "$DBHOST" fixtures url
expect_rc 0
run "$DBHOST" fixtures down
expect_rc 0
summary
