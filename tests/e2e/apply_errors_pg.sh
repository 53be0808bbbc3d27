#!/usr/bin/env bash
# Where a failing migration is blamed: file, line, column (characters) and statement.
# A file runs as one multi-statement query in "file" mode; the located statement
# must be the one that running the same file statement by statement
# (--tx-mode none) blames: a differential test over tricky files.
. "$(dirname "$0")/lib/assert.sh"
. "$(dirname "$0")/lib/pg.sh"
scratch
trap 'drop_created_dbs; rm -rf "$SCRATCH"' EXIT
cd "$SCRATCH"

# blame MODE: apply m/ in MODE on a fresh database; print exit status and the
# first two lines of the error (location and statement)
n=0
blame() {
  n=$((n + 1))
  local url
  url=$(newdb "blame$n")
  run "$DBHOST" apply --url "$url" --dir m --tx-mode "$1"
  printf 'rc=%s\n%s\n' "$rc" "$(printf '%s\n' "$err" | head -n 2)"
}

# case NAME CONTENT [WANT]: the file-mode blame equals the statement-by-statement one
# (and WANT, the expected first error line, when given)
case_() {
  rm -rf m && mkdir m
  printf '%b' "$2" > m/1_case.sql
  "$DBHOST" migrate hash --dir m >/dev/null
  local batched single
  batched=$(blame file)
  single=$(blame none)
  expect_eq "$batched" "$single" "$1: file mode vs statement by statement"
  if [ -n "${3:-}" ]; then
    [[ "$batched" == *"$3"* ]] || fail "$1: want [$3] in [$batched]"
    pass
  fi
}

# the issue's case: a syntax error rejects the whole query string at parse time
case_ "syntax error in the second statement" \
  'CREATE TABLE t1(id int);\nCREATE TABLE t2 (id int,, x text);\nCREATE TABLE t3 (id int);\n' \
  "failed at m/1_case.sql:2:25
  statement: CREATE TABLE t2 (id int,, x text);"
# an empty statement gives no result: it must not shift the blame
case_ "empty statement before a runtime error" \
  'CREATE TABLE t1 (id int); ; SELECT 1/0;\n' \
  "failed at m/1_case.sql:1:29
  statement: SELECT 1/0;"
case_ "comment-only statements before a runtime error" \
  '-- only a comment\n;\nCREATE TABLE a (id int);\n/* nested /* block */ comment */ ;\nSELECT 1/0;\n' \
  "failed at m/1_case.sql:5:1"
# columns count characters, not bytes
case_ "syntax error after multibyte characters" \
  'CREATE TABLE "été" (id int,, x text);\n' \
  "failed at m/1_case.sql:1:28"
case_ "runtime error with a position after multibyte characters" \
  "CREATE TABLE t1 (id int);\nSELECT 'éé', x FROM nosuch;\n" \
  "failed at m/1_case.sql:2:21"
case_ "error position on a later line of a statement" \
  'CREATE FUNCTION f() RETURNS int LANGUAGE sql AS $$ SELECT 1 $$;\nSELECT f(),\n  nosuch_col FROM pg_class;\n' \
  "failed at m/1_case.sql:3:3"
case_ "syntax error in the last statement, without a final semicolon" \
  'CREATE TABLE t1 (id int);\nCREATE TABLE t2 (id int,, x text)' \
  "failed at m/1_case.sql:2:25"
# a last statement ending inside a comment must not run into what follows
case_ "last statement ends inside a -- comment" \
  'CREATE TABLE t9 (id int) -- done;' "rc=0"
case_ "statement ends inside a -- comment before an error" \
  'CREATE TABLE t9 (id int); SELECT 1 -- done;\n;\nSELECT 1/0;' \
  "failed at m/1_case.sql:3:1"

# check-migrations (the same executor) and --format json blame the same place
rm -rf m && mkdir m
printf 'CREATE TABLE t1(id int);\nCREATE TABLE t2 (id int,, x text);\nCREATE TABLE t3 (id int);\n' > m/1_case.sql
"$DBHOST" migrate hash --dir m >/dev/null
run "$DBHOST" check-migrations --dir m --dev-url "$DBHOST_TEST_DATABASE_URL"
expect_rc 1 "check-migrations"
expect_out "failed at m/1_case.sql:2:25"
expect_out "statement: CREATE TABLE t2 (id int,, x text);"
url=$(newdb blame_json)
run "$DBHOST" apply --url "$url" --dir m --format json
expect_rc 1 "apply --format json"
expect_out '"code":"42601"'
expect_out '"file":"m/1_case.sql"'
expect_out '"line":2'
expect_out '"column":25'

summary
