#!/usr/bin/env bash
# Migration names (spaces, letters beyond ASCII, names atlas.sum cannot hold) and
# templates without the DBSchemaMigration resource, on copies of the example project.
. "$(dirname "$0")/lib/assert.sh"
scratch
chmod 755 "$SCRATCH"
cd "$SCRATCH"
fresh() { rm -rf p && mkdir p && cp -r "$DBHOST_SOURCE_DIR"/{atlas.hcl,schema.sql,cloud-formation.yaml,migrations} p/ && cd p; }

# --- make create-migrations NAME="two words"; letters beyond ASCII are kept ----------
fresh
echo 'CREATE TABLE "notes" ("id" bigint PRIMARY KEY);' >> schema.sql
run make -s -f "$DBHOST_SOURCE_DIR/Makefile" BUILD="$(dirname "$DBHOST")" DEPS_STAMP= \
  create-migrations NAME="Two words, café"
expect_rc 0 "make create-migrations NAME with spaces"
expect_out "_two_words_café.sql (1 statement)"
[ "$(ls migrations | grep -c '_two_words_café\.sql$')" = 1 ] || fail "file name: $(ls migrations)"
pass
run "$DBHOST" create-migrations "$(printf 'bad\xff')"
expect_rc 2; expect_err "is not valid UTF-8"
cd ..

# --- migrate hash refuses names atlas.sum cannot hold ------------------------------------
fresh
cp migrations/atlas.sum sum.saved
printf 'SELECT 1;\n' > "migrations/$(printf '20270101000000_a\nb.sql')"
run "$DBHOST" migrate hash
expect_rc 2 "a newline in a file name"; expect_err "must not contain a line break or \"h1:\""
cmp -s migrations/atlas.sum sum.saved || fail "atlas.sum changed"
pass
rm migrations/20270101000000_a*
printf 'SELECT 1;\n' > "migrations/20270101000000_x h1:y.sql"
run "$DBHOST" migrate hash
expect_rc 2 "h1: in a file name"
rm "migrations/20270101000000_x h1:y.sql"
run "$DBHOST" migrate hash
expect_rc 0
cd ..

# --- a template without DBSchemaMigration: warned once, the rest goes on --------------
fresh
sed -i 's/^  DBSchemaMigration:/  SchemaMigration:/' cloud-formation.yaml
cp cloud-formation.yaml cfn.saved
printf 'CREATE TABLE extra (id int);\n' > migrations/20270101000000_extra.sql
run "$DBHOST" migrate hash
expect_rc 0 "migrate hash goes on"
expect_out "wrote migrations/atlas.sum"
expect_err "warning: cloud-formation.yaml has no DBSchemaMigration resource"
[ "$(grep -c warning <<<"$err")" = 1 ] || fail "warned more than once: $err"
cmp -s cloud-formation.yaml cfn.saved || fail "template changed"
pass
# the resource name is configurable
run "$DBHOST" migrate hash --template-resource SchemaMigration
expect_rc 0; expect_out "set MigrationHash in cloud-formation.yaml"
grep -qF "$(head -n 1 migrations/atlas.sum)" cloud-formation.yaml || fail "MigrationHash not set"
pass
# --no-template: no warning, template untouched
cp cfn.saved cloud-formation.yaml
run "$DBHOST" migrate hash --no-template
expect_rc 0; expect_eq "$err" "" "no warning with --no-template"
cmp -s cloud-formation.yaml cfn.saved || fail "template changed with --no-template"
pass
rm migrations/20270101000000_extra.sql
"$DBHOST" migrate hash --no-template >/dev/null
run "$DBHOST" check-migrations
expect_rc 0 "check-migrations with such a template"
expect_out "skipped MigrationHash in the template equals the atlas.sum total"
[ "$(grep -c warning <<<"$err")" = 1 ] || fail "check-migrations: $err"
pass
echo 'CREATE TABLE "notes" ("id" bigint PRIMARY KEY);' >> schema.sql
run "$DBHOST" create-migrations notes
expect_rc 0 "create-migrations goes on"
expect_out "_notes.sql"
[ "$(grep -c warning <<<"$err")" = 1 ] || fail "create-migrations: $err"
pass
cd ..

summary
