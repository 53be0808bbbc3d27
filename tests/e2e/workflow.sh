#!/usr/bin/env bash
# The main workflow on a copy of the example project: edit schema.sql,
# create-migrations, check-migrations; and the ways check-migrations fails.
. "$(dirname "$0")/lib/assert.sh"
scratch
chmod 755 "$SCRATCH"
cd "$SCRATCH"
cp -r "$DBHOST_SOURCE_DIR"/{atlas.hcl,schema.sql,cloud-formation.yaml,migrations} .

run "$DBHOST" check-migrations
expect_rc 0; expect_out "check-migrations: all checks passed"; expect_out "in sync with file://schema.sql"

run "$DBHOST" create-migrations nothing
expect_rc 0; expect_out "synced with the desired state, no changes to be made"
expect_eq "$(ls migrations | wc -l)" "4" "nothing written"

# edit the desired schema: a column, an enum value, a partial index
sed -i 's/  "placed_at" timestamptz NOT NULL DEFAULT now(),/  "placed_at" timestamptz NOT NULL DEFAULT now(),\n  "note" text,/' schema.sql
sed -i "s/'active', 'suspended', 'closed')/'active', 'suspended', 'closed', 'archived')/" schema.sql
echo 'CREATE INDEX "accounts_status_idx" ON "accounts" ("status") WHERE "status" <> '"'closed'"';' >> schema.sql
run "$DBHOST" check-migrations --format json
expect_rc 1; expect_out '"ok":false'; expect_out 'ADD COLUMN note text'

run "$DBHOST" create-migrations "Add order notes"
expect_rc 0; expect_out "wrote migrations/"; expect_out "_add_order_notes.sql (3 statements)"
new=$(ls migrations | grep add_order_notes)
[[ $new =~ ^[0-9]{14}_add_order_notes\.sql$ ]] || fail "file name $new"
grep -q "ALTER TABLE public.orders ADD COLUMN note text;" "migrations/$new" || fail "$(cat "migrations/$new")"
grep -qF "$(head -n 1 migrations/atlas.sum)" cloud-formation.yaml || fail "MigrationHash not updated"
run "$DBHOST" check-migrations --format markdown
expect_rc 0; expect_out "### ✅ check-migrations"

# an enum value used in the same change: the ADD VALUE goes to a file of its own that runs
# outside a transaction; the rest (a drop included) stays transactional
sed -i "s/'closed', 'archived')/'closed', 'archived', 'frozen')/" schema.sql
sed -i "s/\"status\" \"account_status\" NOT NULL DEFAULT 'active',/\"status\" \"account_status\" NOT NULL DEFAULT 'frozen',/" schema.sql
run "$DBHOST" create-migrations freeze
expect_rc 0
expect_out "_freeze_outside_tx.sql (1 statement, outside a transaction"; expect_out "_freeze.sql (1 statement)"
outside=$(ls migrations | grep _freeze_outside_tx.sql); inside=$(ls migrations | grep '_freeze\.sql$')
[[ "$outside" < "$inside" ]] || fail "the enum file must come first: $outside $inside"
head -n 1 "migrations/$outside" | grep -qx -- '-- atlas:txmode none' || fail "no txmode directive in $outside"
grep -q 'atlas:txmode' "migrations/$inside" && fail "the transactional file has a txmode directive"
run "$DBHOST" check-migrations
expect_rc 0
rm "migrations/$outside" "migrations/$inside"
sed -i "s/'closed', 'archived', 'frozen')/'closed', 'archived')/; s/NOT NULL DEFAULT 'frozen',/NOT NULL DEFAULT 'active',/" schema.sql
"$DBHOST" migrate hash >/dev/null

# a hand-edited migration: first the hash check, then the schema check names what differs
echo 'ALTER TABLE public.orders ADD COLUMN extra integer;' >> "migrations/$new"
run "$DBHOST" check-migrations
expect_rc 1; expect_out "FAILED  atlas.sum matches the migration directory"; expect_out "was edited"
"$DBHOST" migrate hash >/dev/null
run "$DBHOST" check-migrations
expect_rc 1
expect_out "FAILED  the migrations produce the desired schema"
expect_out "run 'dbhost create-migrations NAME'"
expect_out "DROP COLUMN extra"

# a migration with a SQL error: located
printf 'CREATE TABLE broken (\n  id int,\n  oops nosuchtype\n);\n' > migrations/20990101000000_broken.sql
"$DBHOST" migrate hash >/dev/null
run "$DBHOST" check-migrations
expect_rc 1
expect_out "FAILED  migrations replay cleanly"
expect_out "migration 20990101000000_broken.sql failed at migrations/20990101000000_broken.sql:"
expect_out 'type "nosuchtype" does not exist (SQLSTATE 42704)'
rm migrations/20990101000000_broken.sql
sed -i '$d' "migrations/$new"
"$DBHOST" migrate hash >/dev/null

# a desired schema with a SQL error: located in schema.sql
echo 'CREATE TABLE bad (id int REFERENCES nowhere);' >> schema.sql
line=$(wc -l < schema.sql)
run "$DBHOST" check-migrations
expect_rc 1
expect_out "schema.sql:$line:"; expect_out 'relation "nowhere" does not exist'
run "$DBHOST" create-migrations x
expect_rc 1; expect_err "schema.sql:$line:"
expect_eq "$(ls migrations | wc -l)" "5" "nothing written after a failed create-migrations"

# an ORM's schema printer as the desired state: data "external_schema", run from its argv list
sed -i '$d' schema.sql   # drop the broken table again
mkdir orm && cp schema.sql orm/printed.sql
cat > atlas.hcl <<'HCL'
data "external_schema" "orm" {
  program = ["cat", "orm/printed.sql"]
}
env "local" {
  src = data.external_schema.orm.url
  dev = "local://postgres"
  migration {
    dir = "file://migrations"
  }
}
HCL
run "$DBHOST" check-migrations
expect_rc 0; expect_out "in sync with external_schema://orm"
echo 'CREATE TABLE printed_by_orm (id bigint PRIMARY KEY);' >> orm/printed.sql
run "$DBHOST" create-migrations orm_table
expect_rc 0; expect_out "_orm_table.sql (1 statement)"
run "$DBHOST" check-migrations
expect_rc 0
sed -i 's|"cat", "orm/printed.sql"|"cat", "orm/missing.sql"|' atlas.hcl
run "$DBHOST" check-migrations
expect_rc 1; expect_out 'external_schema "orm": cat orm/missing.sql exited with status 1'
summary
