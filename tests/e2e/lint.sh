#!/usr/bin/env bash
# Migration lint on a copy of the example project in a git repository:
# `dbhost migrate lint --latest/--base`, the atlas.hcl lint block, a project's own
# analyzer, and the lint step of check-migrations (quick skip, --full, a failure).
. "$(dirname "$0")/lib/assert.sh"
scratch
chmod 755 "$SCRATCH"
cd "$SCRATCH"
cp -r "$DBHOST_SOURCE_DIR"/{atlas.hcl,schema.sql,cloud-formation.yaml,migrations} .
export DBHOST_RUNTIME_DIR=$SCRATCH/rt
mkdir -p "$DBHOST_RUNTIME_DIR" && chmod 0711 "$DBHOST_RUNTIME_DIR"
git init -q -b main . && git -c user.email=t@e -c user.name=t add -A && git -c user.email=t@e -c user.name=t commit -qm base
git checkout -q -b feature

# nothing changed against main: replay, comparison and lint are skipped (quick mode);
# --full runs them, and so does a change to the desired schema
run "$DBHOST" check-migrations
expect_rc 0; expect_out "skipped new migration files pass lint"; expect_out "changed against"
expect_out "skipped migrations replay cleanly on a throwaway database"
expect_out "ok      atlas.sum matches the migration directory"
run "$DBHOST" check-migrations --full
expect_rc 0; expect_out "ok      new migration files pass lint"; expect_out "3 file(s): 0 error(s)"
expect_out "ok      migrations replay cleanly"; expect_out "ok      the migrations produce the desired schema"
echo "-- a comment" >> schema.sql
run "$DBHOST" check-migrations
expect_rc 0; expect_out "ok      migrations replay cleanly"; expect_out "skipped new migration files pass lint"
expect_out "no migration file is new against"
git checkout -q schema.sql

# a new migration that drops a column (error) and builds an index the blocking way (warning)
cat > migrations/20260201000000_drop_note.sql <<'SQL'
ALTER TABLE public.accounts DROP COLUMN display_name;
CREATE INDEX accounts_created_idx ON public.accounts (created_at);
SQL
"$DBHOST" migrate hash >/dev/null
run "$DBHOST" migrate lint --latest 1
expect_rc 1
expect_out "migrations/20260201000000_drop_note.sql:1:1: error DS103 drop-column: Dropping non-virtual column \"display_name\" of table \"accounts\""
expect_out "migrations/20260201000000_drop_note.sql:2:1: warning PG101 create-index-non-concurrently"
run "$DBHOST" migrate lint --base main --format github
expect_rc 1; expect_out "::error file=migrations/20260201000000_drop_note.sql,line=1,col=1,title=DS103 drop-column::"

# atlas.hcl's lint block: destructive changes become warnings
cat >> atlas.hcl <<'HCL'

lint {
  destructive {
    error = false
  }
  rule "PG101" {
    severity = "info"
  }
}
HCL
run "$DBHOST" migrate lint --latest 1
expect_rc 0; expect_out "warning DS103 drop-column"; expect_out "info PG101"
expect_out "in 1 file(s)"
# `latest` in the lint block is migrate lint's default
sed -i 's/^lint {$/lint {\n  latest = 2/' atlas.hcl
run "$DBHOST" migrate lint
expect_rc 0; expect_out "in 2 file(s)"

# the check-migrations step lints the new file; schema.sql still has the column, so the
# sync step fails too: only the lint step's outcome is checked here
run "$DBHOST" check-migrations
expect_out "ok      new migration files pass lint"; expect_out "1 file(s): 0 error(s), 2 warning(s), 1 info"
expect_out "20260201000000_drop_note.sql:1:1: warning DS103"

# a file older than main's latest migration: non-linear history
cat > migrations/20260101000000_early.sql <<'SQL'
SELECT 1;
SQL
"$DBHOST" migrate hash >/dev/null
run "$DBHOST" migrate lint --base main
expect_rc 1
expect_out "migrations/20260101000000_early.sql:1:1: error DH107 non-linear-history: Version 20260101000000 is older than 20260120161500, the latest migration on main"
run "$DBHOST" check-migrations
expect_rc 1; expect_out "FAILED  new migration files pass lint"; expect_out "DH107"
rm migrations/20260101000000_early.sql && "$DBHOST" migrate hash >/dev/null

# a project's own analyzer in scripts/dbhost/lint/
mkdir -p scripts/dbhost/lint
cat > scripts/dbhost/lint/house.lua <<'LUA'
return {
  name = "house",
  rules = {
    {
      code = "HOUSE1", name = "no-comment-on", severity = "error", on = { "CommentStmt" },
      summary = "COMMENT ON is reserved", why = "The docs team owns comments in this project.",
      advice = "Ask the docs team.", example = "-- none",
      check = function(st) return "COMMENT ON found" end,
    },
  },
}
LUA
echo "COMMENT ON TABLE public.accounts IS 'x';" > extra.sql
run "$DBHOST" lint extra.sql
expect_rc 1; expect_out "extra.sql:1:1: error HOUSE1 no-comment-on: COMMENT ON found"
run "$DBHOST" lint --rules
expect_out "HOUSE1"
echo "-- atlas:nolint house" > extra2.sql && cat extra.sql >> extra2.sql
run "$DBHOST" lint extra2.sql
expect_rc 0
summary
