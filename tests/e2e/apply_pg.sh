#!/usr/bin/env bash
# dbhost apply and status against a real PostgreSQL server (the ctest fixture).
. "$(dirname "$0")/lib/assert.sh"
. "$(dirname "$0")/lib/pg.sh"
scratch
trap 'drop_created_dbs; rm -rf "$SCRATCH"' EXIT
cd "$SCRATCH"
REV=atlas_schema_revisions.atlas_schema_revisions

mkproject() { # mkproject DIR: a migration directory with three files
  mkdir -p "$1"
  cat > "$1/1_users.sql" <<'SQL'
CREATE TABLE users (id bigint PRIMARY KEY, email text NOT NULL);
CREATE TABLE applied_log (file text);
INSERT INTO applied_log VALUES ('1');
SQL
  cat > "$1/2_fn.sql" <<'SQL'
-- a function with a dollar-quoted body; the ; inside must not split
CREATE FUNCTION add_one(i int) RETURNS int LANGUAGE plpgsql AS $$
BEGIN
  RETURN i + 1; -- ; here too
END;
$$;
INSERT INTO applied_log VALUES ('2');
SQL
  cat > "$1/3_posts.sql" <<'SQL'
CREATE TABLE posts (id bigint PRIMARY KEY, user_id bigint REFERENCES users (id), body text);
INSERT INTO applied_log VALUES ('3');
SQL
  "$DBHOST" migrate hash --dir "$1" >/dev/null
}

# --- a clean apply, then a no-op re-run, then status -----------------------
mkproject m1
url=$(newdb apply_basic)
run "$DBHOST" apply --url "$url" --dir m1
expect_rc 0 "apply"
expect_out "Migrated to version 3: 3 migrations, 7 statements"
expect_eq "$(sql "$url" "SELECT string_agg(file, ',' ORDER BY file) FROM applied_log")" "1,2,3"
expect_eq "$(sql "$url" "SELECT add_one(41)")" "42"
# the revisions table exactly as Atlas keeps it
expect_eq "$(sql "$url" "SELECT version, description, type, applied, total, error IS NULL, partial_hashes IS NULL FROM $REV ORDER BY version")" \
"1|users|2|3|3|t|t
2|fn|2|2|2|t|t
3|posts|2|2|2|t|t"
hash2=$(sed -n 's/^2_fn.sql h1://p' m1/atlas.sum)
expect_eq "$(sql "$url" "SELECT hash FROM $REV WHERE version = '2'")" "$hash2" "stored hash = atlas.sum running hash"
expect_eq "$(sql "$url" "SELECT string_agg(column_name || ':' || data_type || ':' || is_nullable, ',' ORDER BY ordinal_position) FROM information_schema.columns WHERE table_schema = 'atlas_schema_revisions' AND table_name = 'atlas_schema_revisions'")" \
"version:character varying:NO,description:character varying:NO,type:bigint:NO,applied:bigint:NO,total:bigint:NO,executed_at:timestamp with time zone:NO,execution_time:bigint:NO,error:text:YES,error_stmt:text:YES,hash:character varying:NO,partial_hashes:jsonb:YES,operator_version:character varying:NO"
run "$DBHOST" apply --url "$url" --dir m1
expect_rc 0; expect_out "No migration files to execute"
run "$DBHOST" status --url "$url" --dir m1
expect_rc 0; expect_out "Migration Status: OK"; expect_out "Already at latest version"

# --- on a terminal: progress per file; piped: one summary line (above) -----------
if command -v script >/dev/null; then
  url=$(newdb apply_tty)
  tty_out=$(script -qec "'$DBHOST' apply --url '$url' --dir m1" /dev/null)
  [[ "$tty_out" == *"[1/3] 1_users.sql ... ok"* && "$tty_out" == *"[3/3] 3_posts.sql ... ok"* ]] ||
    fail "no progress on a terminal: $tty_out"
  pass
fi

# --- json output, dry run, amount, to-version ------------------------------
url=$(newdb apply_dry)
run "$DBHOST" apply --url "$url" --dir m1 --dry-run
expect_rc 0; expect_out "CREATE TABLE users"; expect_out "-- 2_fn.sql (version 2)"
expect_eq "$(sql "$url" "SELECT count(*) FROM pg_namespace WHERE nspname = 'atlas_schema_revisions'")" "0" "dry run created nothing"
expect_eq "$(sql "$url" "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'")" "0" "dry run created no table"
run "$DBHOST" apply --url "$url" --dir m1 1 --format json
expect_rc 0
expect_eq "$(jget .applied)" '[{"file":"1_users.sql","version":"1"}]' "apply json names version and file"
run "$DBHOST" apply --url "$url" --dir m1 --to-version 2
expect_rc 0; expect_out "Migrated to version 2 from 1"
run "$DBHOST" status --url "$url" --dir m1 --format json
expect_rc 1; expect_out '"state":"PENDING"'
expect_eq "$(jget .pending)" '[{"file":"3_posts.sql","version":"3"}]' "status json names version and file as apply does"
expect_eq "$(jget .applied[2].version)" '"2"'

# --- file mode failure: the failed file leaves nothing, earlier files stay ---
mkproject m2
cat > m2/3_posts.sql <<'SQL'
CREATE TABLE posts (id bigint PRIMARY KEY);
INSERT INTO applied_log VALUES ('3');
CREATE TABLE posts (id bigint);
SQL
"$DBHOST" migrate hash --dir m2 >/dev/null
url=$(newdb apply_file_fail)
run "$DBHOST" apply --url "$url" --dir m2
expect_rc 1
expect_err "migration 3_posts.sql failed at m2/3_posts.sql:3:1"
expect_err 'relation "posts" already exists (SQLSTATE 42P07)'
expect_err "statement: CREATE TABLE posts (id bigint);"
expect_eq "$(sql "$url" "SELECT string_agg(file, ',' ORDER BY file) FROM applied_log")" "1,2"
expect_eq "$(sql "$url" "SELECT count(*) FROM pg_tables WHERE tablename = 'posts'")" "0"
expect_eq "$(sql "$url" "SELECT string_agg(version, ',' ORDER BY version) FROM $REV")" "1,2"
# fix and re-run: only file 3 runs
printf 'CREATE TABLE posts (id bigint PRIMARY KEY);\nINSERT INTO applied_log VALUES (%s);\n' "'3'" > m2/3_posts.sql
"$DBHOST" migrate hash --dir m2 >/dev/null
run "$DBHOST" apply --url "$url" --dir m2
expect_rc 0; expect_out "1 migration, 2 statements"
expect_eq "$(sql "$url" "SELECT string_agg(file, ',' ORDER BY file) FROM applied_log")" "1,2,3"

# --- the error position inside a statement maps to the file's line and column ----
mkdir -p mpos
printf 'CREATE TABLE p (id int);\n\nSELECT id,\n       nope FROM p;\n' > mpos/1_pos.sql
"$DBHOST" migrate hash --dir mpos >/dev/null
run "$DBHOST" apply --url "$(newdb apply_pos)" --dir mpos
expect_rc 1
expect_err "failed at mpos/1_pos.sql:4:8"; expect_err 'column "nope" does not exist (SQLSTATE 42703)'
# a deferred constraint fails at COMMIT: reported against the file
printf 'CREATE TABLE a (id int PRIMARY KEY);\nCREATE TABLE b (a_id int REFERENCES a DEFERRABLE INITIALLY DEFERRED);\nINSERT INTO b VALUES (1);\n' > mpos/2_deferred.sql
rm mpos/1_pos.sql
"$DBHOST" migrate hash --dir mpos >/dev/null
run "$DBHOST" apply --url "$(newdb apply_deferred)" --dir mpos
expect_rc 1; expect_err "statement: COMMIT"; expect_err "SQLSTATE 23503"

# --- all mode failure: everything rolled back ---------------------------------
mkproject m3
printf 'CREATE TABLE t3 (id int);\nSELECT 1/0;\n' > m3/3_posts.sql
"$DBHOST" migrate hash --dir m3 >/dev/null
url=$(newdb apply_all_fail)
run "$DBHOST" apply --url "$url" --dir m3 --tx-mode all
expect_rc 1; expect_err "division by zero (SQLSTATE 22012)"
expect_eq "$(sql "$url" "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'")" "0" "all mode rolled back"
expect_eq "$(sql "$url" "SELECT count(*) FROM $REV")" "0"

# --- none mode: partial progress is recorded and resumed after a fix ---------
mkproject m4
cat > m4/3_posts.sql <<'SQL'
CREATE TABLE a (id int);
CREATE TABLE b (id int);
CREATE TABLE c (id int REFERENCES nowhere);
CREATE TABLE d (id int);
SQL
"$DBHOST" migrate hash --dir m4 >/dev/null
url=$(newdb apply_none)
run "$DBHOST" apply --url "$url" --dir m4 --tx-mode none
expect_rc 1; expect_err 'relation "nowhere" does not exist'
expect_eq "$(sql "$url" "SELECT applied, total, error IS NOT NULL, jsonb_array_length(partial_hashes), error_stmt FROM $REV WHERE version = '3'")" \
  "2|4|t|2|CREATE TABLE c (id int REFERENCES nowhere);"
run "$DBHOST" status --url "$url" --dir m4
expect_rc 1
expect_out "Current Version: 3 (2 statements applied)"; expect_out "(last one partially)"
expect_out "Last migration attempt had errors:"
# editing an applied statement is refused
sed -i 's/CREATE TABLE a (id int);/CREATE TABLE a (id bigint);/' m4/3_posts.sql
"$DBHOST" migrate hash --dir m4 >/dev/null
run "$DBHOST" apply --url "$url" --dir m4 --tx-mode none
expect_rc 1; expect_err 'history changed: statement 1 from file "3_posts.sql" changed'
# fixing the unapplied tail (and adding a statement) resumes after statement 2
cat > m4/3_posts.sql <<'SQL'
CREATE TABLE a (id int);
CREATE TABLE b (id int);
CREATE TABLE c (id int);
CREATE TABLE d (id int);
CREATE TABLE e (id int);
SQL
"$DBHOST" migrate hash --dir m4 >/dev/null
run "$DBHOST" apply --url "$url" --dir m4 --tx-mode none
expect_rc 0
expect_eq "$(sql "$url" "SELECT applied, total, error IS NULL, partial_hashes IS NULL FROM $REV WHERE version = '3'")" "5|5|t|t" "total refreshed on resume"
expect_eq "$(sql "$url" "SELECT count(*) FROM pg_tables WHERE tablename IN ('a','b','c','d','e')")" "5"

# --- the txmode directive --------------------------------------------------------
mkproject m5
printf -- '-- atlas:txmode none\n\nCREATE TABLE x1 (id int);\nCREATE INDEX CONCURRENTLY x1_id ON x1 (id);\n' > m5/4_concurrently.sql
"$DBHOST" migrate hash --dir m5 >/dev/null
url=$(newdb apply_directive)
run "$DBHOST" apply --url "$url" --dir m5
expect_rc 0 "CREATE INDEX CONCURRENTLY under txmode none"
run "$DBHOST" apply --url "$(newdb apply_directive_all)" --dir m5 --tx-mode all
expect_rc 1; expect_err 'cannot set txmode directive to "none" in "4_concurrently.sql" when txmode "all" is set globally'

# --- an applied file edited afterwards: reported, nothing applied -------------
url=$(newdb apply_edited)
"$DBHOST" apply --url "$url" --dir m1 2 >/dev/null
echo "-- an innocent comment" >> m1/1_users.sql
"$DBHOST" migrate hash --dir m1 >/dev/null
run "$DBHOST" apply --url "$url" --dir m1
expect_rc 1; expect_err "migration file 1_users.sql was changed after it was applied"
expect_eq "$(sql "$url" "SELECT count(*) FROM $REV")" "2" "nothing applied"
run "$DBHOST" status --url "$url" --dir m1
expect_rc 1; expect_out "Edited:          1_users.sql was changed after it was applied"

# --- not clean, baseline, allow-dirty ------------------------------------------
mkproject m6
url=$(newdb apply_dirty)
sql "$url" "CREATE TABLE legacy (id int)"
run "$DBHOST" apply --url "$url" --dir m6
expect_rc 1; expect_err 'connected database is not clean: found table "legacy" in schema "public"'
# the database already has what files 1 and 2 create: start after version 2
sql "$url" "CREATE TABLE users (id bigint PRIMARY KEY, email text NOT NULL); CREATE TABLE applied_log (file text)"
run "$DBHOST" apply --url "$url" --dir m6 --baseline 2
expect_rc 0; expect_out "1 migration"
expect_eq "$(sql "$url" "SELECT version || ':' || type FROM $REV ORDER BY version")" "$(printf '2:1\n3:2')"
url=$(newdb apply_allow_dirty)
sql "$url" "CREATE TABLE legacy (id int)"
run "$DBHOST" apply --url "$url" --dir m6 --allow-dirty
expect_rc 0; expect_out "3 migrations"
expect_eq "$(sql "$url" "SELECT count(*) FROM pg_tables WHERE tablename IN ('legacy', 'users', 'posts')")" "3"
run "$DBHOST" apply --url "$(newdb apply_both)" --dir m6 --baseline 2 --allow-dirty
expect_rc 1; expect_err "baseline and allow-dirty are mutually exclusive"

# --- out of order ------------------------------------------------------------------
mkproject m7
url=$(newdb apply_ooo)
"$DBHOST" apply --url "$url" --dir m7 >/dev/null
printf 'CREATE TABLE late (id int);\n' > m7/2a_late.sql
"$DBHOST" migrate hash --dir m7 >/dev/null
run "$DBHOST" apply --url "$url" --dir m7
expect_rc 1; expect_err "migration file 2a_late.sql was added out of order"
run "$DBHOST" apply --url "$url" --dir m7 --exec-order non-linear
expect_rc 0
expect_eq "$(sql "$url" "SELECT count(*) FROM pg_tables WHERE tablename = 'late'")" "1"

# --- schema scope: ?search_path= puts the revisions table in that schema ------
url=$(newdb apply_scope)
sql "$url" "CREATE SCHEMA app"
run "$DBHOST" apply --url "$url&search_path=app" --dir m1
expect_rc 0
expect_eq "$(sql "$url" "SELECT count(*) FROM pg_tables WHERE schemaname = 'app' AND tablename IN ('users', 'atlas_schema_revisions')")" "2"

# --- a revisions table written by Atlas is read back -----------------------------
url=$(newdb apply_atlas_rows)
mkproject m8
sql "$url" "CREATE TABLE users (id bigint PRIMARY KEY, email text NOT NULL); CREATE TABLE applied_log (file text); INSERT INTO applied_log VALUES ('1')"
sql "$url" "CREATE SCHEMA atlas_schema_revisions; CREATE TABLE $REV (version character varying NOT NULL, description character varying NOT NULL, type bigint NOT NULL DEFAULT 2, applied bigint NOT NULL DEFAULT 0, total bigint NOT NULL DEFAULT 0, executed_at timestamptz NOT NULL, execution_time bigint NOT NULL, error text NULL, error_stmt text NULL, hash character varying NOT NULL, partial_hashes jsonb NULL, operator_version character varying NOT NULL, PRIMARY KEY (version))"
h1=$(sed -n 's/^1_users.sql h1://p' m8/atlas.sum)
sql "$url" "INSERT INTO $REV VALUES ('.atlas_cloud_identifier', 'a6b3c2d1-0000-4000-8000-000000000000', 2, 0, 0, now(), 0, NULL, NULL, '', NULL, 'Atlas CLI v0.30.0'), ('1', 'users', 2, 3, 3, now(), 1234567, NULL, NULL, '$h1', NULL, 'Atlas CLI v0.30.0')"
run "$DBHOST" apply --url "$url" --dir m8
expect_rc 0; expect_out "Migrated to version 3 from 1: 2 migrations"
expect_eq "$(sql "$url" "SELECT count(*) FROM $REV")" "4" "cloud row kept, two rows added"

# --- no password in any output ----------------------------------------------------
secret_url="postgresql://postgres:s3cr3t-pw@/apply_secret_$$?host=${DBHOST_TEST_DATABASE_URL##*host=}"
secret_url=${secret_url%%&*}
run "$DBHOST" apply --url "$secret_url" --dir m2
[[ "$out$err" != *s3cr3t* ]] || fail "password leaked: $out $err"
expect_rc 1
run "$DBHOST" apply --url "postgresql://u:s3cr3t-pw@127.0.0.1:1/x?connect_timeout=2" --dir m1
expect_rc 1; expect_err "cannot connect"
[[ "$out$err" != *s3cr3t* ]] || fail "password leaked: $err"
expect_err "xxxxx"

summary
