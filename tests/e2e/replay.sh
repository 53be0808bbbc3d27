#!/usr/bin/env bash
# The one replay (dbhost.migrate.replay): `dir://` sources, check-migrations and
# create-migrations' self-check replay a migration directory as `dbhost apply` runs it
# (the executor): each file in its own transaction unless `-- atlas:txmode none`, starting
# from the last checkpoint. Before the replay was unified, dir:// and create-migrations ran
# every statement on its own from the first file, so the cases below behaved otherwise.
. "$(dirname "$0")/lib/assert.sh"
scratch
chmod 755 "$SCRATCH"
cd "$SCRATCH"
export DBHOST_RUNTIME_DIR="$SCRATCH/runtime"
export DBHOST_CACHE_DIR="$SCRATCH/cache"   # the replay cache of this test only
dev="local://postgres"

# --- txmode: an enum value added and used in one transactional file fails (55P04) ...
mkdir m1
printf "CREATE TYPE public.mood AS ENUM ('ok');\n" > m1/20260101000000_mood.sql
printf "ALTER TYPE public.mood ADD VALUE 'great';\nCREATE TABLE public.t (m public.mood DEFAULT 'great');\n" \
  > m1/20260102000000_great.sql
printf "CREATE TYPE public.mood AS ENUM ('ok', 'great');\nCREATE TABLE public.t (m public.mood DEFAULT 'great');\n" > want1.sql
run "$DBHOST" schema diff --from dir://m1 --to file://want1.sql --dev-url "$dev" --skip-verify
expect_rc 1
expect_err "migration 20260102000000_great.sql failed at m1/20260102000000_great.sql:2:"
expect_err "SQLSTATE 55P04"
# ... and replays once the file says it runs outside a transaction
printf -- "-- atlas:txmode none\n\n%s" "$(cat m1/20260102000000_great.sql)" > m1/20260102000000_great.sql
run "$DBHOST" schema diff --from dir://m1 --to file://want1.sql --dev-url "$dev" --skip-verify
expect_rc 0; expect_out "Schemas are synced"

# --- checkpoints: the replay starts at the last checkpoint file; what is before it is not run
mkdir m2
printf "CREATE TABLE public.gone (id nosuchtype);\n" > m2/20260101000000_old.sql
printf -- "-- atlas:checkpoint\n\nCREATE TABLE public.t (id integer);\n" > m2/20260102000000_checkpoint.sql
printf "ALTER TABLE public.t ADD COLUMN n text;\n" > m2/20260103000000_n.sql
printf "CREATE TABLE public.t (id integer, n text);\n" > want2.sql
run "$DBHOST" schema diff --from dir://m2 --to file://want2.sql --dev-url "$dev" --skip-verify
expect_rc 0; expect_out "Schemas are synced"

# --- create-migrations replays (before and in its self-check) from the checkpoint too, and
# check-migrations agrees
mkdir proj && cd proj
cp -r ../m2 migrations
"$DBHOST" migrate hash >/dev/null
printf "CREATE TABLE public.t (id integer, n text, born date);\n" > schema.sql
cat > atlas.hcl <<'HCL'
env "local" {
  src = "file://schema.sql"
  dev = "local://postgres"
  migration {
    dir = "file://migrations"
  }
}
HCL
run "$DBHOST" create-migrations --env local born
expect_rc 0; expect_out "_born.sql (1 statement)"
run "$DBHOST" check-migrations --env local
expect_rc 0; expect_out "all checks passed"

# --- the replay cache: an unchanged directory is not replayed again (the model of the
# same files on the same dev database is kept); a changed file is replayed
run "$DBHOST" check-migrations --env local
expect_rc 0; expect_out "(replayed before: the same files on the same dev database)"
ls "$DBHOST_CACHE_DIR"/models/replay-*.json >/dev/null || fail "no replay model in the cache"
pass
printf "CREATE TABLE public.t (id integer, n text, born date, x int);\n" > schema.sql
last=$(ls migrations | grep _born.sql)
printf "ALTER TABLE public.t ADD COLUMN x int;\n" >> "migrations/$last"
"$DBHOST" migrate hash >/dev/null
run "$DBHOST" check-migrations --env local
expect_rc 0; expect_out "all checks passed"
[[ "$out" != *"replayed before"* ]] || fail "a changed directory came from the cache: $out"
pass
# a changed file that breaks the replay is found although the old directory was cached
printf "ALTER TABLE public.t ADD COLUMN x nosuchtype;\n" > "migrations/$last.tmp"
sed -i '$d' "migrations/$last"; cat "migrations/$last.tmp" >> "migrations/$last"; rm "migrations/$last.tmp"
"$DBHOST" migrate hash >/dev/null
run "$DBHOST" check-migrations --env local
expect_rc 1; expect_out 'type "nosuchtype" does not exist'
sed -i 's/x nosuchtype/x int/' "migrations/$last"
"$DBHOST" migrate hash >/dev/null

# --- the concurrent-index policy: the index goes to its own txmode-none file after the
# transactional one, and both replay (CREATE INDEX CONCURRENTLY runs only outside a transaction)
cat >> atlas.hcl <<'HCL'
diff {
  concurrent_index {
    create = true
    drop   = true
  }
}
HCL
printf "CREATE TABLE public.t (id integer, n text, born date, x int, note text);\nCREATE INDEX t_born ON public.t (born);\n" > schema.sql
run "$DBHOST" create-migrations --env local note
expect_rc 0
expect_out "_note.sql (1 statement)"; expect_out "_note_concurrently.sql (1 statement, outside a transaction"
conc=$(ls migrations | grep _note_concurrently.sql)
head -n 1 "migrations/$conc" | grep -qx -- '-- atlas:txmode none' || fail "no txmode directive in $conc"
grep -q "CREATE INDEX CONCURRENTLY t_born ON public.t USING btree (born);" "migrations/$conc" || fail "$(cat "migrations/$conc")"
pass
run "$DBHOST" check-migrations --env local
expect_rc 0; expect_out "all checks passed"
summary
