#!/usr/bin/env bash
# check-migrations traces the new migration files on the replay step's throwaway server
# (a copy of its dev database where the new files begin), not on a second server:
# - a replay that runs (the directory changed) and a trace: one server start;
# - the replay model from the replay cache and a trace: the trace starts its own, once;
# - nothing new to lint and every model cached: no server at all;
# and the lint step's findings and measured facts are the same both ways.
# Servers are counted by a wrapper of the postgres binary (DBHOST_PG_BINDIR) that notes
# every postmaster start (`postgres -D ...`; `postgres --version` is not one).
. "$(dirname "$0")/lib/assert.sh"
scratch
chmod 755 "$SCRATCH"
cd "$SCRATCH"
cp -r "$DBHOST_SOURCE_DIR"/{atlas.hcl,schema.sql,cloud-formation.yaml,migrations} .
export DBHOST_RUNTIME_DIR=$SCRATCH/rt DBHOST_CACHE_DIR=$SCRATCH/cache
mkdir -p "$DBHOST_RUNTIME_DIR" "$DBHOST_CACHE_DIR" && chmod 0711 "$DBHOST_RUNTIME_DIR" && chmod 0700 "$DBHOST_CACHE_DIR"
unset DBHOST_NO_CACHE

real=$("$DBHOST" lua /dev/stdin <<'LUA'
print((assert(require("dbhost.db.server").find_binaries(15))))
LUA
)
[[ -x $real/postgres ]] || fail "no PostgreSQL 15 binaries found ($real)"
mkdir -m 755 bin
: > starts && chmod 666 starts   # the server may run as an unprivileged user
cat > bin/postgres <<SH
#!/bin/sh
case " \$* " in *" -D "*) echo start >> "$SCRATCH/starts" ;; esac
exec "$real/postgres" "\$@"
SH
chmod 755 bin/postgres
ln -s "$real/initdb" bin/initdb
export DBHOST_PG_BINDIR=$SCRATCH/bin
starts() { wc -l < "$SCRATCH/starts" | tr -d ' '; }
reset_starts() { : > "$SCRATCH/starts"; }
# the lint step's section of a check-migrations text report, without its time
lint_section() { sed -n '/new migration files pass lint/,$p' <<<"$out" | sed 's/ ([0-9.]*m\?s)$//'; }

git init -q -b main . && git -c user.email=t@e -c user.name=t add -A && git -c user.email=t@e -c user.name=t commit -qm base
git checkout -q -b feature

# the wrapper really counts: the first full run starts servers (and fills the caches:
# the replayed directory's model and schema.sql's)
run "$DBHOST" check-migrations --full
expect_rc 0; expect_out "ok      new migration files pass lint"; expect_out "3 file(s): 0 error(s)"
[[ $(starts) -ge 1 ]] || fail "the postgres wrapper saw no server start: $(cat starts)"
full=$(lint_section)
# again, the replay from the cache: the trace (every file, from an empty database) on its own server
run "$DBHOST" check-migrations --full
expect_rc 0; expect_out "(replayed before: the same files on the same dev database)"
expect_eq "$(lint_section)" "$full" "the lint step's report of --full on the replay's server and on its own"

# a new file on the branch: the directory changed, so the replay runs (schema.sql's model
# comes from the cache), and the trace measures the new file on the replay's server
cat > migrations/20260201000000_hazards.sql <<'SQL'
CREATE INDEX accounts_created_idx ON public.accounts (created_at);
ALTER TABLE public.orders ALTER COLUMN currency SET NOT NULL;
ALTER TABLE public.accounts ALTER COLUMN created_at TYPE timestamp;
SQL
"$DBHOST" migrate hash >/dev/null
reset_starts
run "$DBHOST" check-migrations
expect_out "ok      migrations replay cleanly on a throwaway database"
expect_out "ok      new migration files pass lint"
expect_out "1 file(s): 0 error(s)"; expect_out "measured on the dev database"
expect_out "migrations/20260201000000_hazards.sql:1:1: warning PG101"
expect_out "measured: took accounts Share; scanned accounts (1)"
expect_out "migrations/20260201000000_hazards.sql:2:1: warning PG303"
expect_eq "$(starts)" 1 "postgres servers started by a check-migrations that replays and traces"
shared=$(lint_section)

# again: now the replay's model is in the cache, so the replay step starts nothing and the
# trace starts its own server (the way every trace ran before); its report is the same
reset_starts
run "$DBHOST" check-migrations
expect_out "(replayed before: the same files on the same dev database)"
expect_eq "$(starts)" 1 "postgres servers started when only the trace needs one"
expect_eq "$(lint_section)" "$shared" "the lint step's report on the replay's server and on its own"

# nothing new against the base (the file is committed there) but atlas.hcl changed, so
# the steps run: every model is cached and there is nothing to trace: no server at all
git -c user.email=t@e -c user.name=t add -A && git -c user.email=t@e -c user.name=t commit -qm hazards
echo "# a comment" >> atlas.hcl
reset_starts
run "$DBHOST" check-migrations --base feature
expect_out "ok      migrations replay cleanly on a throwaway database"
expect_out "skipped new migration files pass lint"; expect_out "no migration file is new against feature"
expect_eq "$(starts)" 0 "postgres servers started with nothing to replay or trace"

# --no-trace with a replay to do: the replay's server only
echo "SELECT 1;" > migrations/20260202000000_noop.sql
"$DBHOST" migrate hash >/dev/null
reset_starts
run "$DBHOST" check-migrations --base feature --no-trace
expect_out "ok      new migration files pass lint"
[[ "$out" != *"measured"* ]] || fail "--no-trace measured: $out"
expect_eq "$(starts)" 1 "postgres servers started by a check-migrations --no-trace that replays"
summary
