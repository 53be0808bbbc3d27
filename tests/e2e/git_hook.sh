#!/usr/bin/env bash
# dbhost install --git-hook: the pre-commit hook checks the staged tree, refuses a
# commit that breaks the checks, is quick when the commit touches neither migrations
# nor the desired schema, and never replaces a hook dbhost did not write.
. "$(dirname "$0")/lib/assert.sh"
scratch
chmod 755 "$SCRATCH"
cd "$SCRATCH"
cp -r "$DBHOST_SOURCE_DIR"/{atlas.hcl,schema.sql,cloud-formation.yaml,migrations} .
export DBHOST_RUNTIME_DIR=$SCRATCH/rt
mkdir -p "$DBHOST_RUNTIME_DIR" && chmod 0711 "$DBHOST_RUNTIME_DIR"
export GIT_AUTHOR_NAME=t GIT_AUTHOR_EMAIL=t@e GIT_COMMITTER_NAME=t GIT_COMMITTER_EMAIL=t@e
git init -q -b main . && git add -A && git commit -qm base

run "$DBHOST" install --git-hook --dry-run
expect_rc 0; expect_out "would install"
[ ! -e .git/hooks/pre-commit ] || fail "dry run wrote the hook"
run "$DBHOST" install --git-hook
expect_rc 0; expect_out "installed"; expect_out ".git/hooks/pre-commit"
[ -x .git/hooks/pre-commit ] || fail "hook not executable"
run "$DBHOST" install --git-hook
expect_rc 0; expect_out "updated"

# a commit touching neither migrations nor the schema: quick
echo "notes" > NOTES.md && git add NOTES.md
run git commit -qm notes
expect_rc 0 "commit of a note"; expect_err "skipped migrations replay cleanly"   # git shows hook output on stderr

# a staged migration that was not hashed: refused; the unstaged fix does not count
echo "ALTER TABLE public.accounts ADD COLUMN nick text;" > migrations/20260301000000_nick.sql
git add migrations/20260301000000_nick.sql
run git commit -qm nick
expect_rc 1 "commit of an unhashed migration"; expect_err "FAILED  atlas.sum matches the migration directory"
"$DBHOST" migrate hash >/dev/null
run git commit -qm nick
expect_rc 1 "commit with the hash left unstaged"
# staged hash, and the schema says the column exists: accepted, the new file linted
sed -i 's/  "display_name" text NOT NULL DEFAULT '"''"',/  "display_name" text NOT NULL DEFAULT '"''"',\n  "nick" text,/' schema.sql
grep -q '"nick" text' schema.sql || fail "schema.sql edit: $(head -20 schema.sql)"
git add -A
run git commit -qm nick
expect_rc 0 "commit of a complete change"; expect_err "ok      new migration files pass lint"

# someone else's hook is left alone
printf '#!/bin/sh\nexit 0\n' > .git/hooks/pre-commit
run "$DBHOST" install --git-hook
expect_rc 2; expect_err "was not written by dbhost"
summary
