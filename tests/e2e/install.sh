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

run "$DBHOST" install --with-docker --dry-run
expect_rc 0
if command -v docker >/dev/null; then expect_out "docker is installed"; fi
expect_out "docker pull postgres:16-alpine"

run "$DBHOST" install --bogus
expect_rc 2; expect_err "unknown flag --bogus"
summary
