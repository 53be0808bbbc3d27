#!/usr/bin/env bash
# tools/pre-commit checks what is being committed (the staged tree), not the working
# tree, and says which staged files it checked. (git shows a hook's output on stderr.)
. "$(dirname "$0")/lib/assert.sh"
scratch
chmod 755 "$SCRATCH"
cd "$SCRATCH"
cp -r "$DBHOST_SOURCE_DIR"/{atlas.hcl,schema.sql,cloud-formation.yaml,migrations} .
mkdir tools && cp "$DBHOST_SOURCE_DIR/tools/pre-commit" tools/
echo "# readme" > README.md
export DBHOST GIT_CONFIG_GLOBAL=/dev/null GIT_CONFIG_NOSYSTEM=1
git init -q .
git config user.name test && git config user.email test@example.com
git add -A && git commit -qm init --no-verify
ln -s ../../tools/pre-commit .git/hooks/pre-commit

# a staged schema.sql that disagrees with the migrations, the working tree reverted
echo 'CREATE TABLE "notes" ("id" bigint PRIMARY KEY);' >> schema.sql
git add schema.sql
git show HEAD:schema.sql > schema.sql
run git commit -qm "staged schema change without its migration"
expect_rc 1 "the staged schema.sql is checked"
expect_err "pre-commit: checking the staged tree; staged files:"
expect_err "  schema.sql"
expect_err "CREATE TABLE public.notes"
expect_eq "$(git rev-list --count HEAD)" 1 "nothing committed"
git reset -q schema.sql

# a README-only commit goes through although an unstaged edit breaks the working tree
echo 'CREATE TABLE "notes" ("id" bigint PRIMARY KEY);' >> schema.sql
echo "more" >> README.md
git add README.md
run git commit -qm "README only"
expect_rc 0 "an unrelated unstaged edit does not block the commit"
expect_err "  README.md"
expect_err "check-migrations: all checks passed"
expect_eq "$(git rev-list --count HEAD)" 2 "committed"

summary
