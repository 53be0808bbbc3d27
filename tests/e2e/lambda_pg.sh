#!/usr/bin/env bash
# The Lambda layer and the DBSchemaMigration custom resource, end to end on 127.0.0.1:
# dbhost bundle-lambda builds the zips, tests/lambda/lambda_e2e.py extracts them, runs
# bootstrap as Lambda does against stand-ins of the Runtime API, the ResponseURL and
# Secrets Manager (signatures checked with botocore), on the ctest PostgreSQL fixture.
. "$(dirname "$0")/lib/assert.sh"
. "$(dirname "$0")/lib/pg.sh"
scratch
trap 'rm -rf "$SCRATCH"' EXIT

PY=
for p in /usr/bin/python3 python3; do
  if command -v "$p" >/dev/null && "$p" -c 'import botocore' 2>/dev/null; then PY=$p; break; fi
done
[ -n "$PY" ] || fail "python3 with botocore is missing (Debian: python3-botocore; tools/bootstrap.sh installs it)"
command -v unzip >/dev/null || fail "unzip is missing (tools/bootstrap.sh installs it)"

# the fixture's socket folder and port
q=${DBHOST_TEST_DATABASE_URL#*\?}
sock=$(tr '&' '\n' <<<"$q" | sed -n 's/^host=//p')
port=$(tr '&' '\n' <<<"$q" | sed -n 's/^port=//p')
port=${port:-5432}

cd "$SCRATCH"
mkdir -p v1 fns
printf 'CREATE TABLE items (id bigint PRIMARY KEY, name text);\n' > v1/1_items.sql
printf "INSERT INTO items VALUES (1, 'one');\n" > v1/2_seed.sql
cp -r v1 v2; printf 'ALTER TABLE items ADD COLUMN note text;\n' > v2/3_note.sql
cp -r v1 fail; printf 'CREATE TABLE half_done (id int);\nINSERT INTO no_such_table VALUES (1);\n' > fail/3_broken.sql
cp -r v1 slow; printf 'CREATE TABLE slow_table (id int);\nSELECT pg_sleep(30);\n' > slow/3_slow.sql
echo '{' > fns/hashes.json
for v in v1 v2 fail slow; do
  run "$DBHOST" migrate hash --dir "$v"
  expect_rc 0 "migrate hash $v"
  run "$DBHOST" bundle-lambda --only function --dir "$v" --out "out-$v"
  expect_rc 0 "bundle-lambda --only function ($v)"
  mv "out-$v/function.zip" "fns/$v.zip"
  printf '"%s": "%s",\n' "$v" "$(head -n 1 "$v/atlas.sum")" >> fns/hashes.json
done
printf '"_": ""}\n' >> fns/hashes.json

run "$DBHOST" bundle-lambda --only layer --out layer
expect_rc 0 "bundle-lambda --only layer"
expect_out "layer.zip"
[ -f layer/layer.zip ] || fail "no layer.zip"

mkdir work
"$PY" "$DBHOST_SOURCE_DIR/tests/lambda/lambda_e2e.py" "$SCRATCH/work" "$SCRATCH/layer/layer.zip" \
  "$SCRATCH/fns" "$sock" "$port" || fail "lambda e2e checks failed"
echo "ok: lambda e2e"
