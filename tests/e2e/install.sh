#!/usr/bin/env bash
# dbhost install: the plan (--dry-run) changes nothing; a real run is idempotent and warms the cache.
. "$(dirname "$0")/lib/assert.sh"
scratch
cd "$SCRATCH"
chmod 755 "$SCRATCH"
export DBHOST_CACHE_DIR="$SCRATCH/cache" DBHOST_RUNTIME_DIR="$SCRATCH/runtime"

run "$DBHOST" install --dry-run
expect_rc 0
expect_out "server binaries found in"
expect_out "would warm the throwaway-server cache"
[ ! -e "$SCRATCH/cache/pg15-v2" ] && [ -z "$(ls "$SCRATCH/cache" 2>/dev/null | grep '^pg')" ] || fail "--dry-run created a cache"
pass

run "$DBHOST" install
expect_rc 0; expect_out "ready in"
ls "$SCRATCH/cache" | grep -q '^pg[0-9]*-v' || fail "no cached data directory after install: $(ls -R "$SCRATCH/cache")"
pass
# again: nothing to install, the warm cache is used
run "$DBHOST" install
expect_rc 0; expect_out "server binaries found in"; expect_out "ready in"

# the cache exists now: a dry run does not pretend it would warm it
run "$DBHOST" install --dry-run
expect_rc 0; expect_out "the throwaway-server cache for PostgreSQL"; expect_out "is ready"
[[ "$out" != *"would warm"* ]] || fail "dry run says it would warm an existing cache: $out"
pass
# it says where this dbhost is
expect_out "dbhost is $DBHOST, not on PATH"

# --with-docker pulls the image the project's dev URL names
cp "$DBHOST_SOURCE_DIR/atlas.hcl" .
run "$DBHOST" install --with-docker --dry-run
expect_rc 0
if command -v docker >/dev/null; then expect_out "docker is installed"; fi
expect_out "docker pull postgres:15"
printf 'env "local" {\n  dev = "docker://postgres/16/dev"\n}\n' > atlas.hcl
run "$DBHOST" install --with-docker --dry-run
expect_out "docker pull postgres:16"
printf 'env "local" {\n  dev = "local://postgres/15"\n}\n' > atlas.hcl
run "$DBHOST" install --with-docker --dry-run
expect_out "nothing to pull: the dev URL (local://postgres/15) does not run Docker"
rm atlas.hcl

# make install PREFIX=...: dbhost on PATH, and 'dbhost install' says so
run make -s -f "$DBHOST_SOURCE_DIR/Makefile" BUILD="$(dirname "$DBHOST")" DEPS_STAMP= install PREFIX="$SCRATCH/prefix"
expect_rc 0 "make install PREFIX=..."
[ -x "$SCRATCH/prefix/bin/dbhost" ] || fail "no $SCRATCH/prefix/bin/dbhost"
pass
expect_out "dbhost is $SCRATCH/prefix/bin/dbhost"
run env PATH="$SCRATCH/prefix/bin:$PATH" dbhost install --dry-run
expect_rc 0; expect_out "dbhost is $SCRATCH/prefix/bin/dbhost (on PATH)"
run env PATH="$SCRATCH/prefix/bin:$PATH" dbhost --version
expect_rc 0; expect_out "dbhost "

run "$DBHOST" install --bogus
expect_rc 2; expect_err "unknown flag --bogus"
summary
