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

# A sanitizer build links libasan, whose libgcc_s needs glibc 2.35: such a layer is for
# this machine only, and the glibc check must say so.
glibc=() sanitized=
if grep -q __asan_init "$DBHOST"; then
  sanitized=1
  run "$DBHOST" bundle-lambda --only layer --out layer
  expect_rc 1 "bundle-lambda of a sanitizer build"
  expect_err "needs _dl_find_object from GLIBC_2.35"
  glibc=(--glibc-max 9.0)
fi
run "$DBHOST" bundle-lambda --only layer --out layer "${glibc[@]}"
expect_rc 0 "bundle-lambda --only layer"
expect_out "layer.zip"
[ -f layer/layer.zip ] || fail "no layer.zip"

# the layer's shape: the runtime, the binary, its libraries and scripts; never glibc;
# a relative RPATH; nothing that names this machine's folders
mkdir layer/x && unzip -q layer/layer.zip -d layer/x
for f in bootstrap bin/dbhost lib/libpq.so.5 lib/libyaml-0.so.2 lib/libcurl.so.4 lib/lua/5.4/cjson.so \
         scripts/handlers/migrate.lua; do
  [ -f "layer/x/$f" ] || fail "layer.zip has no $f"
done
[ -x layer/x/bootstrap ] && [ -x layer/x/bin/dbhost ] || fail "layer.zip lost the exec bits"
for f in libc.so.6 libm.so.6 ld-linux-x86-64.so.2 libpthread.so.0 libdl.so.2; do
  [ ! -e "layer/x/lib/$f" ] || fail "layer.zip bundles glibc's $f"
done
expect_eq "$(readelf -d layer/x/bin/dbhost | sed -n 's/.*(RPATH).*\[\(.*\)\]/\1/p')" '$ORIGIN/../lib' "bin/dbhost RPATH"
# (a sanitizer build's binary keeps its source paths for its reports: checked in release builds)
if [ -z "$sanitized" ] && grep -rlF -e "$DBHOST_SOURCE_DIR" -e "$(dirname "$DBHOST")" layer/x >/dev/null; then
  fail "the layer names this machine's folders: $(grep -rlF -e "$DBHOST_SOURCE_DIR" -e "$(dirname "$DBHOST")" layer/x | head -3)"
fi
pass

# an executable the dynamic loader refuses: it needs a library that is gone
mkdir gone
printf 'int dbhost_gone(void) { return 0; }\n' > gone/gone.c
printf 'int dbhost_gone(void);\nint main(void) { return dbhost_gone(); }\n' > gone/main.c
cc=${CC:-cc}
command -v "$cc" >/dev/null || fail "no C compiler ($cc) to build the missing-library case"
"$cc" -shared -fPIC -o gone/libdbhost_gone.so gone/gone.c || fail "cannot build libdbhost_gone.so"
"$cc" -o gone/needs_gone_lib gone/main.c -Lgone -ldbhost_gone || fail "cannot build needs_gone_lib"
rm gone/libdbhost_gone.so

mkdir work
if ! DBHOST="$DBHOST" "$PY" "$DBHOST_SOURCE_DIR/tests/lambda/lambda_e2e.py" "$SCRATCH/work" "$SCRATCH/layer/layer.zip" \
  "$SCRATCH/fns" "$sock" "$port" "$SCRATCH/gone/needs_gone_lib"; then
  for f in work/bootstrap-*.log; do echo "== $f"; tail -n 20 "$f"; done >&2
  fail "lambda e2e checks failed"
fi
echo "ok: lambda e2e"
