/*
** test_sql.c: the PostgreSQL statement splitter (bindings/sqlsplit.c) and
** the dbhost.sql module's C entry points.
**
** Expected splits were checked against Atlas's own scanner; the golden
** files under tests/lua/fixtures/sql/ (NAME.sql, NAME.golden with texts
** joined by "\n-- end --\n", like Atlas's testdata/lex) are shared with
** tests/lua/sql_spec.lua.
*/
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <lua.h>
#include <lauxlib.h>
#include <lualib.h>

#include "sqlsplit.h"

int luaopen_dbhost_sql(lua_State *L);

/* ------------------------------------------------------------------ */
/* helpers                                                             */
/* ------------------------------------------------------------------ */

/* Split src; on success return the texts joined by "\n-- end --\n" (malloc'd),
** on a syntax error "ERR line:col: msg". */
static char *split_joined(const char *src, size_t len) {
  sqlsplit_result r;
  memset(&r, 0, sizeof r);
  int rc = sqlsplit_split(src, len, &r);
  size_t cap = 64 + 2 * len + 16 * (r.nstmts + 1);
  char *out = malloc(cap);
  assert_non_null(out);
  if (rc == SQLSPLIT_ESYNTAX) {
    snprintf(out, cap, "ERR %zu:%zu: %s", r.err_line, r.err_col, r.err_msg);
  } else {
    assert_int_equal(rc, SQLSPLIT_OK);
    size_t n = 0;
    out[0] = '\0';
    for (size_t i = 0; i < r.nstmts; i++) {
      if (i > 0) {
        memcpy(out + n, "\n-- end --\n", 11);
        n += 11;
      }
      memcpy(out + n, src + r.stmts[i].off, r.stmts[i].len);
      n += r.stmts[i].len;
    }
    out[n] = '\0';
  }
  sqlsplit_free(&r);
  return out;
}

static void expect_split(const char *src, const char *want) {
  char *got = split_joined(src, strlen(src));
  if (strcmp(got, want) != 0)
    print_error("input:\n%s\nwant:\n%s\ngot:\n%s\n", src, want, got);
  assert_string_equal(got, want);
  free(got);
}

/* Split and keep the result for detailed checks (caller frees). */
static void split_into(const char *src, sqlsplit_result *r) {
  memset(r, 0, sizeof *r);
  assert_int_equal(sqlsplit_split(src, strlen(src), r), SQLSPLIT_OK);
}

static int text_is(const char *src, const sqlsplit_stmt *st, const char *want) {
  return strlen(want) == st->len && memcmp(src + st->off, want, st->len) == 0;
}

static int comment_is(const char *src, const sqlsplit_result *r,
                      const sqlsplit_stmt *st, size_t k, const char *want) {
  const sqlsplit_span *c = &r->comments[st->comment0 + k];
  return k < st->ncomments && strlen(want) == c->len &&
         memcmp(src + c->off, want, c->len) == 0;
}

/* ------------------------------------------------------------------ */
/* splitting                                                           */
/* ------------------------------------------------------------------ */

static void test_semicolons_inside_tokens(void **state) {
  (void)state;
  expect_split("INSERT INTO t VALUES ('a;b', \"c;d\");\nSELECT $$;$$; -- x;y\n"
               "SELECT /* ; */ 1;",
               "INSERT INTO t VALUES ('a;b', \"c;d\");\n-- end --\n"
               "SELECT $$;$$;\n-- end --\nSELECT /* ; */ 1;");
  expect_split("SELECT 'it''s; fine', \"a\"\"b;\" FROM t;\nSELECT 2;",
               "SELECT 'it''s; fine', \"a\"\"b;\" FROM t;\n-- end --\nSELECT 2;");
  expect_split("SELECT `a;b`;", "SELECT `a;b`;");  /* Atlas treats ` as a quote */
}

static void test_dollar_quotes(void **state) {
  (void)state;
  expect_split("CREATE FUNCTION f() RETURNS text AS $fn$ SELECT $$a;b$$; $fn$ "
               "LANGUAGE sql;\nSELECT 2;",
               "CREATE FUNCTION f() RETURNS text AS $fn$ SELECT $$a;b$$; $fn$ "
               "LANGUAGE sql;\n-- end --\nSELECT 2;");
  /* $1 is a parameter, not a tag */
  expect_split("PREPARE p(int, int) AS SELECT $1 + $2;\nEXECUTE p(1, 2);",
               "PREPARE p(int, int) AS SELECT $1 + $2;\n-- end --\nEXECUTE p(1, 2);");
  /* tags are case-sensitive; $x$ inside $X$ does not close it */
  expect_split("SELECT $X$ a; $x$ b; $X$; SELECT 1;",
               "SELECT $X$ a; $x$ b; $X$;\n-- end --\nSELECT 1;");
  /* high bytes are tag letters (PostgreSQL) */
  expect_split("SELECT $\xcf\x80$;$\xcf\x80$;", "SELECT $\xcf\x80$;$\xcf\x80$;");
  /* "$" continuing an identifier opens nothing */
  expect_split("SELECT a$b$ FROM t; SELECT 1;", "SELECT a$b$ FROM t;\n-- end --\nSELECT 1;");
  /* a tag that contains BEGIN is just a tag */
  expect_split("SELECT $BEGIN$ x; $BEGIN$; SELECT 2;",
               "SELECT $BEGIN$ x; $BEGIN$;\n-- end --\nSELECT 2;");
}

static void test_escape_strings(void **state) {
  (void)state;
  expect_split("SELECT E'it\\'s; x';\nSELECT 2;",
               "SELECT E'it\\'s; x';\n-- end --\nSELECT 2;");
  expect_split("SELECT e'\\\\'; SELECT 2;", "SELECT e'\\\\';\n-- end --\nSELECT 2;");
  /* standard strings: a backslash is an ordinary character */
  expect_split("SELECT 'C:\\'; SELECT 2;", "SELECT 'C:\\';\n-- end --\nSELECT 2;");
  /* the E must start its token: type'...' is a standard string */
  expect_split("SELECT type'a\\';SELECT 1;", "SELECT type'a\\';\n-- end --\nSELECT 1;");
  /* U& strings and identifiers are ordinary quotes */
  expect_split("SELECT U&\"d\\0061t;a\" FROM t;\nSELECT U&'\\0041;';",
               "SELECT U&\"d\\0061t;a\" FROM t;\n-- end --\nSELECT U&'\\0041;';");
}

static void test_comments(void **state) {
  (void)state;
  /* PostgreSQL nests block comments */
  expect_split("/* outer /* inner; */ still; */ SELECT 1;\n"
               "SELECT /* a /* b */ c; */ 2;",
               "SELECT 1;\n-- end --\nSELECT /* a /* b */ c; */ 2;");
  /* a trailing -- comment without newline is statement text (as in Atlas),
  ** but not SQL: its quote and semicolon mean nothing */
  expect_split("SELECT 1;\n-- it's done; really", "SELECT 1;\n-- end --\n-- it's done; really");
  expect_split("SELECT 1 -- trailing; x", "SELECT 1 -- trailing; x");
  expect_split("--", "--");
  /* comments only: no statement */
  expect_split("-- a\n/* b */\n\n-- c\n", "");
}

static void test_comment_groups(void **state) {
  (void)state;
  const char *src = "-- a\n-- b\nSELECT 1;\n-- lost\n\nSELECT 2;\n/* c */\nSELECT 3;\n"
                    "/* gone */\n\nSELECT 4;\n-- x\r\n\r\nSELECT 5;";
  sqlsplit_result r;
  split_into(src, &r);
  assert_int_equal(r.nstmts, 5);
  assert_int_equal(r.stmts[0].ncomments, 2);
  assert_true(comment_is(src, &r, &r.stmts[0], 0, "-- a"));
  assert_true(comment_is(src, &r, &r.stmts[0], 1, "-- b"));
  assert_int_equal(r.stmts[1].ncomments, 0);  /* the blank line discards */
  assert_int_equal(r.stmts[2].ncomments, 1);
  assert_true(comment_is(src, &r, &r.stmts[2], 0, "/* c */"));
  assert_int_equal(r.stmts[3].ncomments, 0);
  /* Atlas's blank-line test is "\n" only: "\r\n" keeps the group */
  assert_int_equal(r.stmts[4].ncomments, 1);
  assert_true(comment_is(src, &r, &r.stmts[4], 0, "-- x\r"));
  sqlsplit_free(&r);
}

static void test_transactions_and_blocks(void **state) {
  (void)state;
  /* BEGIN; splits normally */
  expect_split("BEGIN;\nCREATE TABLE a (id int);\nCOMMIT;",
               "BEGIN;\n-- end --\nCREATE TABLE a (id int);\n-- end --\nCOMMIT;");
  /* BEGIN <ws> starts a block search; without END it changes nothing */
  expect_split("BEGIN TRANSACTION;\nSELECT 1;\nCOMMIT;",
               "BEGIN TRANSACTION;\n-- end --\nSELECT 1;\n-- end --\nCOMMIT;");
  /* ... and with END; (a COMMIT synonym) Atlas makes one statement */
  expect_split("BEGIN ISOLATION LEVEL SERIALIZABLE;\nSELECT 1;\nEND;\nSELECT 2;",
               "BEGIN ISOLATION LEVEL SERIALIZABLE;\nSELECT 1;\nEND;\n-- end --\nSELECT 2;");
  /* END IF; does not close a BEGIN block */
  expect_split("BEGIN x; END IF; y;", "BEGIN x;\n-- end --\nEND IF;\n-- end --\ny;");
  expect_split("DO $$\nBEGIN\n  RAISE NOTICE 'x;y';\nEND\n$$;\nSELECT 1;",
               "DO $$\nBEGIN\n  RAISE NOTICE 'x;y';\nEND\n$$;\n-- end --\nSELECT 1;");
  expect_split("CREATE FUNCTION f() RETURNS int LANGUAGE SQL\nBEGIN ATOMIC\n"
               "SELECT 1;\nSELECT 2;\nEND;\nSELECT 3;",
               "CREATE FUNCTION f() RETURNS int LANGUAGE SQL\nBEGIN ATOMIC\n"
               "SELECT 1;\nSELECT 2;\nEND;\n-- end --\nSELECT 3;");
  /* an empty SQL-standard body */
  expect_split("CREATE PROCEDURE p() BEGIN ATOMIC END; SELECT 1;",
               "CREATE PROCEDURE p() BEGIN ATOMIC END;\n-- end --\nSELECT 1;");
  /* CREATE RULE: the ; inside parentheses does not split */
  expect_split("CREATE RULE r AS ON INSERT TO t DO ALSO (INSERT INTO log VALUES (1); "
               "UPDATE c SET n = n + 1);\nSELECT 1;",
               "CREATE RULE r AS ON INSERT TO t DO ALSO (INSERT INTO log VALUES (1); "
               "UPDATE c SET n = n + 1);\n-- end --\nSELECT 1;");
  /* a column named begin */
  expect_split("INSERT INTO ev (id, begin) VALUES (1, now());\nSELECT begin FROM ev;",
               "INSERT INTO ev (id, begin) VALUES (1, now());\n-- end --\n"
               "SELECT begin FROM ev;");
}

static void test_empty_statements(void **state) {
  (void)state;
  expect_split("SELECT 1;;\n;", "SELECT 1;\n-- end --\n;\n-- end --\n;");
  expect_split("", "");
  expect_split(" \n\t\r\n\xc2\xa0", "");
}

static void test_positions_crlf_utf8(void **state) {
  (void)state;
  const char *src = "SELECT 1;\r\n-- c\r\nSELECT '\xc3\xa9';\r\n  SELECT 3;\r\n"
                    "\xc2\xa0SELECT 4";
  sqlsplit_result r;
  split_into(src, &r);
  assert_int_equal(r.nstmts, 4);
  assert_int_equal(r.stmts[0].off, 0);
  assert_int_equal(r.stmts[0].line, 1);
  assert_int_equal(r.stmts[0].col, 1);
  assert_int_equal(r.stmts[1].off, 17);
  assert_int_equal(r.stmts[1].line, 3);
  assert_int_equal(r.stmts[1].col, 1);
  assert_true(text_is(src, &r.stmts[1], "SELECT '\xc3\xa9';"));
  assert_true(comment_is(src, &r, &r.stmts[1], 0, "-- c\r"));
  assert_int_equal(r.stmts[2].off, 33);
  assert_int_equal(r.stmts[2].line, 4);
  assert_int_equal(r.stmts[2].col, 3);
  /* U+00A0 is a space to Go's TrimSpace: skipped; columns are bytes */
  assert_int_equal(r.stmts[3].line, 5);
  assert_int_equal(r.stmts[3].col, 3);
  assert_true(text_is(src, &r.stmts[3], "SELECT 4"));
  sqlsplit_free(&r);
}

static void test_custom_delimiters(void **state) {
  (void)state;
  const char *src = "-- atlas:delimiter \\n\\n\n\nCREATE INDEX i1 ON t1(c1)\n\n"
                    "CREATE INDEX i2 ON t2(c2)";
  sqlsplit_result r;
  split_into(src, &r);
  assert_int_equal(r.nstmts, 2);
  assert_int_equal(r.delimiter_len, 2);
  assert_memory_equal(r.delimiter, "\n\n", 2);
  assert_true(text_is(src, &r.stmts[0], "CREATE INDEX i1 ON t1(c1)"));
  assert_int_equal(r.stmts[0].off, 25);  /* offsets in the original file */
  assert_int_equal(r.stmts[0].line, 3);
  sqlsplit_free(&r);
  expect_split("-- atlas:delimiter -- end\n\nCREATE PROCEDURE p() LANGUAGE plpgsql AS "
               "$$ BEGIN NULL; END $$;\n-- end\nCALL p();\n",
               "CREATE PROCEDURE p() LANGUAGE plpgsql AS $$ BEGIN NULL; END $$;\n"
               "-- end --\nCALL p();");
  expect_split("-- atlas:delimiter \\nGO\n\nSELECT 1\nGO\nSELECT 2;\nSELECT 3\nGO\n",
               "SELECT 1\n-- end --\nSELECT 2;\nSELECT 3");
  /* multi-byte delimiters (the KMP path), overlapping candidates; a
  ** delimiter right at a statement start leaves an empty statement */
  expect_split("-- atlas:delimiter abab\nxabababy ab\nabab", "x\n-- end --\naby ab");
  expect_split("-- atlas:delimiter aab\nxaaaby aab\naab", "xa\n-- end --\ny\n-- end --\n");
  /* ";" as the directive's value is the default delimiter */
  expect_split("-- atlas:delimiter ;\nSELECT 1; SELECT 2;", "SELECT 1;\n-- end --\nSELECT 2;");
  expect_split("DELIMITER //\nCREATE x BEGIN a; END//\nDELIMITER ;\nSELECT 1;",
               "CREATE x BEGIN a; END\n-- end --\nSELECT 1;");
  expect_split("delimiter 'a''b'\nx a'b y", "x\n-- end --\ny");
  expect_split("-- atlas:delimiter", "ERR 1:1: empty delimiter");
  expect_split("-- atlas:delimiter GO", "ERR 1:1: no input found after delimiter \"GO\"");
  expect_split("DELIMITER ''\nx", "ERR 1:1: empty delimiter");
}

static void test_errors(void **state) {
  (void)state;
  expect_split("SELECT 'abc", "ERR 1:8: unclosed quote \"'\"");
  expect_split("SELECT \"abc", "ERR 1:8: unclosed quote \"\\\"\"");
  expect_split("SELECT 1;\nSELECT $fn$ x", "ERR 2:8: unclosed dollar-quoted string $fn$");
  expect_split("SELECT 1; /* a /* b */", "ERR 1:11: unclosed comment");
  expect_split("SELECT 1)", "ERR 1:9: unexpected ')'");
  expect_split("SELECT (1, (2)", "ERR 1:8: unclosed '('");
  expect_split("()(unclosed", "ERR 1:3: unclosed '('");
  expect_split("SELECT 1;\r\nSELECT 'x", "ERR 2:8: unclosed quote \"'\"");
  expect_split("SELECT '\xc3\xa9', 'x", "ERR 1:14: unclosed quote \"'\"");
  expect_split("SELECT E'x\\';", "ERR 1:9: unclosed quote \"'\"");
}

/* Golden files shared with the busted spec. */
static char *read_file(const char *path, size_t *len) {
  FILE *f = fopen(path, "rb");
  if (!f)
    return NULL;
  char *buf = NULL;
  size_t n = 0, cap = 0, k;
  char tmp[4096];
  while ((k = fread(tmp, 1, sizeof tmp, f)) > 0) {
    if (n + k + 1 > cap) {
      cap = (n + k + 1) * 2;
      char *grown = realloc(buf, cap);
      if (!grown)
        free(buf);
      assert_non_null(grown);
      buf = grown;
    }
    memcpy(buf + n, tmp, k);
    n += k;
  }
  fclose(f);
  if (!buf)
    buf = calloc(1, 1);
  buf[n] = '\0';
  *len = n;
  return buf;
}

static void test_golden_files(void **state) {
  (void)state;
  static const char *const names[] = {
      "3_delimiter", "6_skip_comment", "15_dollar_quote", "16_begin_atomic",
      "18_pg_expr", "20_begin_end_block", "21_delimiter_comment",
      "22_delimiter_go", "23_delimiter_command", "24_rule_parens", "25_do_block"};
  const char *root = getenv("DBHOST_SOURCE_DIR");
  if (!root)
    root = ".";
  for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
    char path[4096];
    size_t slen, glen;
    snprintf(path, sizeof path, "%s/tests/lua/fixtures/sql/%s.sql", root, names[i]);
    char *src = read_file(path, &slen);
    if (!src)
      fail_msg("cannot read %s", path);
    snprintf(path, sizeof path, "%s/tests/lua/fixtures/sql/%s.golden", root, names[i]);
    char *gold = read_file(path, &glen);
    if (!gold)
      fail_msg("cannot read %s", path);
    char *got = split_joined(src, slen);
    if (strcmp(got, gold) != 0)
      fail_msg("%s: got\n%s\nwant\n%s", names[i], got, gold);
    free(got);
    free(src);
    free(gold);
  }
}

/* ------------------------------------------------------------------ */
/* linear time                                                         */
/* ------------------------------------------------------------------ */

static char *repeat(const char *unit, size_t times, const char *tail, size_t *len) {
  size_t ul = strlen(unit), tl = strlen(tail);
  char *s = malloc(ul * times + tl + 1);
  assert_non_null(s);
  for (size_t i = 0; i < times; i++)
    memcpy(s + i * ul, unit, ul);
  memcpy(s + ul * times, tail, tl + 1);
  *len = ul * times + tl;
  return s;
}

/* Split unit x times + tail; check the outcome, the work and the time. */
static void check_linear(const char *unit, size_t times, const char *tail,
                         int want_rc, size_t want_stmts, int want_exhausted) {
  size_t len;
  char *s = repeat(unit, times, tail, &len);
  sqlsplit_result r;
  memset(&r, 0, sizeof r);
  clock_t c0 = clock();
  int rc = sqlsplit_split(s, len, &r);
  double secs = (double)(clock() - c0) / CLOCKS_PER_SEC;
  if (rc != want_rc || r.nstmts != want_stmts || r.exhausted != want_exhausted)
    fail_msg("%s x %zu: rc=%d stmts=%zu exhausted=%d work=%zu", unit, times, rc,
             r.nstmts, r.exhausted, r.work);
  if (r.work > 8 * len + (1u << 20) + len)
    fail_msg("%s x %zu: work %zu", unit, times, r.work);
  if (secs > 20.0)  /* generous for sanitizers; quadratic would take hours */
    fail_msg("%s x %zu took %.1fs", unit, times, secs);
  sqlsplit_free(&r);
  free(s);
}

static void test_linear_time(void **state) {
  (void)state;
  check_linear("(", 100000, "", SQLSPLIT_ESYNTAX, 0, 0);
  check_linear("()", 100000, ";", SQLSPLIT_OK, 1, 0);
  check_linear("/*", 50000, "", SQLSPLIT_ESYNTAX, 0, 0);
  check_linear("'a';", 50000, "", SQLSPLIT_OK, 50000, 0);
  check_linear("$a$ x $a$;", 20000, "", SQLSPLIT_OK, 20000, 0);
  check_linear("$", 100000, "", SQLSPLIT_OK, 1, 0);
  /* Atlas is exponential in these; we are linear and exact */
  check_linear("BEGIN TRANSACTION;\nSELECT 1;\nCOMMIT;\n", 10000, "", SQLSPLIT_OK, 30000, 0);
  check_linear("BEGIN TRANSACTION;\nSELECT 1;\nEND;\n", 10000, "", SQLSPLIT_OK, 10000, 0);
  check_linear("BEGIN ", 100000, "x;", SQLSPLIT_OK, 1, 0);
  check_linear("BEGIN ATOMIC ", 50000, "", SQLSPLIT_OK, 1, 0);
  check_linear("CREATE FUNCTION f() RETURNS int BEGIN ATOMIC SELECT 1; END;\n", 5000,
               "", SQLSPLIT_OK, 5000, 0);
  check_linear(" begin", 100000, "", SQLSPLIT_OK, 1, 0);
  check_linear("INSERT INTO t (id, begin) VALUES (1, 2);\n", 10000, "", SQLSPLIT_OK, 10000, 0);
  /* failed blocks opened inside parentheses: the budget bounds the work */
  check_linear("( BEGIN ", 50000, "", SQLSPLIT_ESYNTAX, 0, 1);
  check_linear("( BEGIN a; ", 30000, "", SQLSPLIT_ESYNTAX, 0, 1);
  /* custom delimiters: KMP, no quadratic re-comparison */
  {
    size_t dl, bl;
    char *d = repeat("a", 20000, "b", &dl);
    char *body = repeat("a", 200000, "", &bl);
    size_t len = 19 + dl + 1 + bl;
    char *s = malloc(len + 1);
    assert_non_null(s);
    memcpy(s, "-- atlas:delimiter ", 19);
    memcpy(s + 19, d, dl);
    s[19 + dl] = '\n';
    memcpy(s + 20 + dl, body, bl + 1);
    sqlsplit_result r;
    memset(&r, 0, sizeof r);
    clock_t c0 = clock();
    assert_int_equal(sqlsplit_split(s, len, &r), SQLSPLIT_OK);
    assert_true((double)(clock() - c0) / CLOCKS_PER_SEC < 20.0);
    assert_int_equal(r.nstmts, 1);
    sqlsplit_free(&r);
    free(s);
    free(d);
    free(body);
  }
}

/* ------------------------------------------------------------------ */
/* directives                                                          */
/* ------------------------------------------------------------------ */

static int dir_is(const char *line, const char *prefix, const char *name,
                  const char *arg) {
  sqlsplit_directive d;
  if (!sqlsplit_parse_directive(line, strlen(line), &d))
    return name == NULL;
  return name && d.prefix_len == strlen(prefix) &&
         memcmp(line, prefix, d.prefix_len) == 0 && d.name_len == strlen(name) &&
         memcmp(line + d.name_off, name, d.name_len) == 0 &&
         d.arg_len == strlen(arg) && memcmp(line + d.arg_off, arg, d.arg_len) == 0;
}

static void test_directive_regex(void **state) {
  (void)state;
  assert_true(dir_is("-- atlas:txmode none", "-- ", "txmode", "none"));
  assert_true(dir_is("-- atlas:sum ignore\r\nx", "-- ", "sum", "ignore\r"));
  assert_true(dir_is("//atlas:sum", "//", "sum", ""));
  assert_true(dir_is("atlas:sum ignore", "", "sum", "ignore"));
  assert_true(dir_is("-- atlas:nolint  DS102 DS103 ", "-- ", "nolint", "DS102 DS103 "));
  assert_true(dir_is("-- atlas:sum  ", "-- ", "sum", " "));   /* .+ takes a space */
  assert_true(dir_is("-- atlas:sum ", "-- ", "sum", ""));
  assert_true(dir_is("-- atlas:txmode\tnone", "-- ", "txmode", ""));
  /* the last atlas: wins (greedy prefix) */
  assert_true(dir_is("-- atlas:nolint atlas:checkpoint x", "-- atlas:nolint ",
                     "checkpoint", "x"));
  assert_true(dir_is("-- atlas:delimiter \xc3\xa9", "-- ", "delimiter", "\xc3\xa9"));
  assert_true(dir_is("\xc3\xa9 atlas:sum ignore", "", NULL, ""));  /* prefix not ASCII */
  assert_true(dir_is("x\natlas:sum ignore", "", NULL, ""));        /* line 1 only */
  assert_true(dir_is("-- atlas: x", "", NULL, ""));
  assert_true(dir_is("", "", NULL, ""));
}

static void test_file_comment_block(void **state) {
  (void)state;
  size_t end;
  assert_int_equal(sqlsplit_file_comment_block("-- a\n\nSELECT", 12, &end), 1);
  assert_int_equal(end, 5);
  assert_int_equal(sqlsplit_file_comment_block("-- a\n# b\n \t\nX", 13, &end), 1);
  assert_int_equal(end, 9);
  assert_int_equal(sqlsplit_file_comment_block("-- a\nSELECT", 11, &end), 0);
  assert_int_equal(sqlsplit_file_comment_block("-- a\r\n\r\nSELECT", 14, &end), 0);
  assert_int_equal(sqlsplit_file_comment_block("-- only", 7, &end), 1);
  assert_int_equal(end, 7);
  assert_int_equal(sqlsplit_file_comment_block("-- a\n  ", 7, &end), 1);
  assert_int_equal(sqlsplit_file_comment_block("SELECT 1;", 9, &end), 0);
  assert_int_equal(sqlsplit_file_comment_block(" -- a\n\n", 7, &end), 0);
  assert_int_equal(sqlsplit_file_comment_block("-a\n\n", 4, &end), 0);
}

static void test_goquote(void **state) {
  (void)state;
  const char in[] = "a\"b\\\n\x01\xc3\xa9\xff\xc2\xa0";
  char out[128];
  size_t n = sqlsplit_goquote(NULL, in, sizeof in - 1);
  assert_true(n < sizeof out);
  assert_int_equal(sqlsplit_goquote(out, in, sizeof in - 1), n);
  out[n] = '\0';
  assert_string_equal(out, "\"a\\\"b\\\\\\n\\x01\xc3\xa9\\xff\\u00a0\"");
}

/* ------------------------------------------------------------------ */
/* the Lua module                                                      */
/* ------------------------------------------------------------------ */

static lua_State *new_state(void) {
  lua_State *L = luaL_newstate();
  assert_non_null(L);
  luaL_openlibs(L);
  luaL_requiref(L, "dbhost.sql", luaopen_dbhost_sql, 0);
  lua_setglobal(L, "sql");
  return L;
}

static void run_lua(lua_State *L, const char *code) {
  if (luaL_dostring(L, code) != LUA_OK)
    fail_msg("%s", lua_tostring(L, -1));
}

static void test_lua_module(void **state) {
  (void)state;
  lua_State *L = new_state();
  run_lua(L,
          "local st = assert(sql.split('SELECT 1;\\n-- c\\nSELECT 2', 'f.sql'))\n"
          "assert(#st == 2 and st[2].text == 'SELECT 2' and st[2].line == 3)\n"
          "assert(st[2].comments[1] == '-- c' and #st[1].comments == 0)\n"
          "local ok, msg, code = sql.split(\"SELECT 'x\", 'f.sql')\n"
          "assert(ok == nil and msg == [[f.sql:1:8: unclosed quote \"'\"]] and code == 'ESYNTAX')\n"
          "assert(sql.quote_ident('a\"b') == '\"a\"\"b\"')\n"
          "assert(sql.quote_literal(\"it's\") == \"'it''s'\")\n"
          "assert(not pcall(sql.quote_literal, 'a\\0b'))\n"
          "local d = assert(sql.directives('-- atlas:txmode none\\n\\nSELECT 1;', 'x.sql'))\n"
          "assert(d.txmode == 'none' and d.list[1].name == 'txmode')\n");
  /* many results, then a full collection: nothing leaks under ASan */
  run_lua(L, "for i = 1, 200 do sql.split(string.rep('SELECT 1; -- x\\n', 50)) end\n"
             "collectgarbage()");
  lua_close(L);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_semicolons_inside_tokens),
      cmocka_unit_test(test_dollar_quotes),
      cmocka_unit_test(test_escape_strings),
      cmocka_unit_test(test_comments),
      cmocka_unit_test(test_comment_groups),
      cmocka_unit_test(test_transactions_and_blocks),
      cmocka_unit_test(test_empty_statements),
      cmocka_unit_test(test_positions_crlf_utf8),
      cmocka_unit_test(test_custom_delimiters),
      cmocka_unit_test(test_errors),
      cmocka_unit_test(test_golden_files),
      cmocka_unit_test(test_linear_time),
      cmocka_unit_test(test_directive_regex),
      cmocka_unit_test(test_file_comment_block),
      cmocka_unit_test(test_goquote),
      cmocka_unit_test(test_lua_module),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
