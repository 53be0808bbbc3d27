/*
** test_hash.c: the atlas.sum algorithm (bindings/atlassum.c) and the C side
** of dbhost.hash: SHA-256 and base64 known answers, the running hash, the
** parser, the "atlas:sum ignore" directive, and every vector directory under
** $DBHOST_VECTORS/atlas-sum reproduced byte for byte.
*/
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <lua.h>
#include <lauxlib.h>
#include <lualib.h>

#include "atlassum.h"

int luaopen_dbhost_hash(lua_State *L);

/* base64 of SHA-256 over the concatenation of the given strings (NULL-ended). */
static void b64_of(char out[AS_B64_LEN + 1], ...) {
  dbh_buf b = {0};
  va_list ap;
  va_start(ap, out);
  for (const char *s; (s = va_arg(ap, const char *)) != NULL;)
    assert_int_equal(dbh_buf_append(&b, s, strlen(s)), 0);
  va_end(ap);
  unsigned char md[32];
  assert_int_equal(as_sha256(b.data ? b.data : "", b.len, md), 0);
  as_base64(md, 32, out);
  dbh_buf_free(&b);
}

/* ---- SHA-256, hex, base64 -------------------------------------------------- */

static void sha256_known_answers(void **state) {
  (void)state;
  static const struct { const char *in, *hex; } kat[] = {
    {"", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"},
    {"abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"},
    {"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
     "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"},
  };
  unsigned char md[32];
  char hex[65];
  for (size_t i = 0; i < sizeof kat / sizeof kat[0]; i++) {
    assert_int_equal(as_sha256(kat[i].in, strlen(kat[i].in), md), 0);
    as_hex(md, 32, hex);
    assert_string_equal(hex, kat[i].hex);
  }
  /* One million 'a' (FIPS 180-2 appendix B.3). */
  char *a = malloc(1000000);
  assert_non_null(a);
  memset(a, 'a', 1000000);
  assert_int_equal(as_sha256(a, 1000000, md), 0);
  free(a);
  as_hex(md, 32, hex);
  assert_string_equal(hex, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

static void base64_rfc4648(void **state) {
  (void)state;
  static const char *in[] = {"", "f", "fo", "foo", "foob", "fooba", "foobar"};
  static const char *out[] = {"", "Zg==", "Zm8=", "Zm9v", "Zm9vYg==", "Zm9vYmE=", "Zm9vYmFy"};
  char buf[16];
  for (size_t i = 0; i < 7; i++) {
    size_t n = as_base64((const unsigned char *)in[i], strlen(in[i]), buf);
    assert_int_equal(n, strlen(out[i]));
    assert_string_equal(buf, out[i]);
  }
  /* The empty directory's total is the base64 SHA-256 of nothing. */
  char b64[AS_B64_LEN + 1];
  b64_of(b64, (const char *)NULL);
  assert_string_equal(b64, AS_EMPTY_TOTAL);
  unsigned char bytes[3] = {0xfb, 0xff, 0xbf};
  as_base64(bytes, 3, buf);
  assert_string_equal(buf, "+/+/");
}

/* ---- the running hash -------------------------------------------------------- */

static void running_hash_is_cumulative(void **state) {
  (void)state;
  as_run r = {0};
  as_list l = {0};
  as_error e;
  assert_int_equal(as_run_init(&r), 0);
  assert_int_equal(as_run_add(&r, &l, "1_a.sql", 7, "A;\n", 3, &e), 0);
  assert_int_equal(as_run_add(&r, &l, "2_b.sql", 7, "-- atlas:sum ignore\nB;", 22, &e), 0);
  assert_int_equal(as_run_add(&r, &l, "3_c.sql", 7, "C;\n", 3, &e), 0);
  /* The ignored file has no line ... */
  assert_int_equal(l.n, 2);
  assert_string_equal(as_entry_name(&l, 0), "1_a.sql");
  assert_string_equal(as_entry_name(&l, 1), "3_c.sql");
  /* ... but its name (not its content) is in every later hash. */
  char want[AS_B64_LEN + 1];
  b64_of(want, "1_a.sql", "A;\n", (const char *)NULL);
  assert_string_equal(as_entry_hash(&l, 0), want);
  b64_of(want, "1_a.sql", "A;\n", "2_b.sql", "3_c.sql", "C;\n", (const char *)NULL);
  assert_string_equal(as_entry_hash(&l, 1), want);
  /* The total is over name||hash, without "h1:". */
  assert_int_equal(as_list_total(&l), 0);
  char h0[AS_B64_LEN + 1], h1[AS_B64_LEN + 1];
  strcpy(h0, as_entry_hash(&l, 0));
  strcpy(h1, as_entry_hash(&l, 1));
  b64_of(want, "1_a.sql", h0, "3_c.sql", h1, (const char *)NULL);
  assert_string_equal(l.total, want);
  dbh_buf text = {0};
  assert_int_equal(as_render(&l, &text), 0);
  char expect[512];
  snprintf(expect, sizeof expect, "h1:%s\n1_a.sql h1:%s\n3_c.sql h1:%s\n", want, h0, h1);
  assert_int_equal(text.len, strlen(expect));
  assert_memory_equal(text.data, expect, text.len);
  dbh_buf_free(&text);
  as_list_free(&l);
  as_run_free(&r);
}

static void empty_list_renders_empty_total(void **state) {
  (void)state;
  as_list l = {0};
  dbh_buf text = {0};
  assert_int_equal(as_list_total(&l), 0);
  assert_string_equal(l.total, AS_EMPTY_TOTAL);
  assert_int_equal(as_render(&l, &text), 0);
  assert_int_equal(text.len, 48);
  assert_memory_equal(text.data, "h1:" AS_EMPTY_TOTAL "\n", 48);
  dbh_buf_free(&text);
  as_list_free(&l);
}

/* ---- the directive ------------------------------------------------------------ */

static void sum_ignore_directive(void **state) {
  (void)state;
  static const struct { const char *content; int ignored; } cases[] = {
    {"-- atlas:sum ignore", 1},
    {"-- atlas:sum ignore\nCREATE TABLE t();\n", 1},
    {"//atlas:sum ignore\n", 1},
    {"//atlas:sum ignore\nbar", 1},
    {"atlas:sum ignore", 1},
    {"#atlas:sum    ignore\n", 1},               /* several spaces */
    {"-- atlas:sum ignore\r\n", 0},              /* the argument is "ignore\r" */
    {"-- atlas:sum ignore \n", 0},               /* trailing space */
    {"//atlas:sum\nfoo", 0},                     /* no argument */
    {"-- atlas:sum\n", 0},
    {"-- atlas:sum  \n", 0},                     /* argument " " */
    {"\n-- atlas:sum ignore\n", 0},              /* line 2 is not honoured */
    {"CREATE TABLE t();\n-- atlas:sum ignore\n", 0},
    {"-- atlas:sums ignore\n", 0},               /* the name is every word char */
    {"-- atlas:sum-ignore\n", 0},
    {"-- atlas:sum ignore atlas:txmode none\n", 0},  /* the last atlas: wins */
    {"-- atlas:txmode none atlas:sum ignore\n", 1},
    {"-- atlas:sum ignore atlas:\n", 0},         /* no word after: earlier one, arg "ignore atlas:" */
    {"\t-- atlas:sum ignore\n", 0},              /* a tab is not in [ -~] */
    {"-- atlas:sum\tignore\n", 0},
    {"-- atlas:sum ignore\tx\n", 0},
    {"-- ATLAS:sum ignore\n", 0},
    {"", 0},
    {"atlas:", 0},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    int got = as_sum_ignored(cases[i].content, strlen(cases[i].content));
    if (got != cases[i].ignored)
      fail_msg("as_sum_ignored(\"%s\") = %d", cases[i].content, got);
  }
  /* Bytes past the first line are never looked at, whatever they are. */
  static const char nul[] = "-- atlas:sum ignore\n\0\xff";
  assert_true(as_sum_ignored(nul, sizeof nul - 1));
  static const char hi[] = "\xc3\xa9 atlas:sum ignore\n";
  assert_false(as_sum_ignored(hi, sizeof hi - 1));
}

/* ---- the parser ----------------------------------------------------------------- */

/* Build a valid atlas.sum text for (name, hash) pairs, with a line ending. */
static void make_sum(char *out, size_t cap, const char *eol, int final_eol, size_t n,
                     const char *const *names, const char *const *hashes) {
  as_list l = {0};
  for (size_t i = 0; i < n; i++)
    assert_int_equal(as_list_add(&l, names[i], strlen(names[i]), hashes[i], strlen(hashes[i])), 0);
  assert_int_equal(as_list_total(&l), 0);
  size_t o = (size_t)snprintf(out, cap, "h1:%s", l.total);
  for (size_t i = 0; i < n; i++)
    o += (size_t)snprintf(out + o, cap - o, "%s%s h1:%s", eol, names[i], hashes[i]);
  if (final_eol)
    snprintf(out + o, cap - o, "%s", eol);
  as_list_free(&l);
}

static const char *const NAMES[] = {"1_a.sql", "2_b.sql"};
static const char *const HASHES[] = {"uJ2MyyeTqXx4rCqtRMQAvRrfsvdwmvsZ3LcadVvCdOc=",
                                     "TLO00GtsqSi8o0ySoaofBqxemrElL8fHOs3IRnqYvB8="};

static void parse_good_inputs(void **state) {
  (void)state;
  char text[1024];
  as_list l = {0};
  as_error e;
  /* LF, CRLF, with and without the final line ending. */
  const char *eols[] = {"\n", "\r\n"};
  for (int k = 0; k < 2; k++) {
    for (int fin = 0; fin < 2; fin++) {
      make_sum(text, sizeof text, eols[k], fin, 2, NAMES, HASHES);
      assert_int_equal(as_parse(text, strlen(text), &l, &e), 0);
      assert_int_equal(l.n, 2);
      assert_string_equal(as_entry_name(&l, 0), "1_a.sql");
      assert_string_equal(as_entry_hash(&l, 1), HASHES[1]);
      assert_int_equal(l.v[0].line, 2);
      assert_int_equal(l.v[1].line, 3);
      assert_int_equal(l.v[0].pos, 48 + (k == 1));
    }
  }
  /* The empty directory. */
  assert_int_equal(as_parse("h1:" AS_EMPTY_TOTAL "\n", 48, &l, &e), 0);
  assert_int_equal(l.n, 0);
  /* Line 1 without "h1:" is accepted (TrimPrefix); names are TrimSpace'd,
  ** Unicode spaces included, and the hash is everything after "h1:". */
  const char *spaced[] = {"a.sql"};
  const char *odd[] = {"x h1:y"};
  make_sum(text, sizeof text, "\n", 1, 1, spaced, odd);
  char other[1024];
  snprintf(other, sizeof other, "%s", text + 3);                  /* drop line 1's h1: */
  char *nl = strchr(other, '\n');
  snprintf(nl + 1, sizeof other - (size_t)(nl + 1 - other), " \t\xc2\xa0" "a.sql\xe3\x80\x80 h1:x h1:y\n");
  assert_int_equal(as_parse(other, strlen(other), &l, &e), 0);
  assert_int_equal(l.n, 1);
  assert_string_equal(as_entry_name(&l, 0), "a.sql");
  assert_string_equal(as_entry_hash(&l, 0), "x h1:y");
  as_list_free(&l);
}

static void parse_bad_inputs(void **state) {
  (void)state;
  char text[1024];
  as_list l = {0};
  as_error e;
  /* Empty: line 1 is "", which is not the empty total. */
  assert_int_equal(as_parse("", 0, &l, &e), -1);
  assert_int_equal(e.kind, AS_EMISMATCH);
  assert_true(e.from_parse);
  assert_string_equal(as_kind_code(&e), "EMISMATCH");
  /* A line without h1:. */
  make_sum(text, sizeof text, "\n", 1, 2, NAMES, HASHES);
  char *second = strchr(strchr(text, '\n') + 1, '\n') + 1;   /* line 3 */
  memcpy(strstr(second, "h1:"), "h2:", 3);
  assert_int_equal(as_parse(text, strlen(text), &l, &e), -1);
  assert_int_equal(e.kind, AS_EFORMAT);
  assert_int_equal(e.line, 3);
  assert_string_equal(as_kind_code(&e), "EFORMAT");
  /* A blank line in the middle and one at the end. */
  make_sum(text, sizeof text, "\n", 1, 2, NAMES, HASHES);
  char blank[1100];
  char *cut = strchr(text, '\n') + 1;
  snprintf(blank, sizeof blank, "%.*s\n%s", (int)(cut - text), text, cut);
  assert_int_equal(as_parse(blank, strlen(blank), &l, &e), -1);
  assert_int_equal(e.kind, AS_EFORMAT);
  assert_int_equal(e.line, 2);
  snprintf(blank, sizeof blank, "%s\n", text);
  assert_int_equal(as_parse(blank, strlen(blank), &l, &e), -1);
  assert_int_equal(e.kind, AS_EFORMAT);
  assert_int_equal(e.line, 4);
  /* "\r" alone is a blank line once CR is dropped. */
  snprintf(blank, sizeof blank, "%s\r\n", text);
  assert_int_equal(as_parse(blank, strlen(blank), &l, &e), -1);
  assert_int_equal(e.kind, AS_EFORMAT);
  /* A wrong total, and a total with trailing garbage. */
  make_sum(text, sizeof text, "\n", 1, 2, NAMES, HASHES);
  text[5] = text[5] == 'A' ? 'B' : 'A';
  assert_int_equal(as_parse(text, strlen(text), &l, &e), -1);
  assert_int_equal(e.kind, AS_EMISMATCH);
  assert_int_equal(e.line, 1);
  make_sum(text, sizeof text, "\n", 1, 2, NAMES, HASHES);
  snprintf(blank, sizeof blank, "%.47s %s", text, text + 47);
  assert_int_equal(as_parse(blank, strlen(blank), &l, &e), -1);
  assert_int_equal(e.kind, AS_EMISMATCH);
  /* Garbage. */
  assert_int_equal(as_parse("h1:\0\n\0", 6, &l, &e), -1);
  assert_int_equal(e.kind, AS_EFORMAT);
  as_list_free(&l);
}

/* ---- comparison (validation reasons) ------------------------------------------ */

/* A list from "name=hash" strings, with lines and positions as if parsed. */
static void make_list(as_list *l, size_t n, const char *const *items) {
  as_list_clear(l);
  size_t pos = 48;
  for (size_t i = 0; i < n; i++) {
    const char *eq = strchr(items[i], '=');
    assert_int_equal(as_list_add(l, items[i], (size_t)(eq - items[i]), eq + 1, strlen(eq + 1)), 0);
    l->v[i].line = i + 2;
    l->v[i].pos = pos;
    pos += strlen(items[i]) + 4;
  }
  l->text_len = pos;
  assert_int_equal(as_list_total(l), 0);
}

static void compare_reasons(void **state) {
  (void)state;
  as_list rec = {0}, cmp = {0};
  as_error e;
  const char *base[] = {"1.sql=a", "2.sql=b", "3.sql=c"};
  make_list(&rec, 3, base);
  make_list(&cmp, 3, base);
  assert_int_equal(as_compare(&rec, &cmp, &e), 0);
  /* Edited: the second file's hash (and every later one) changed. */
  const char *edited[] = {"1.sql=a", "2.sql=B", "3.sql=C"};
  make_list(&cmp, 3, edited);
  assert_int_equal(as_compare(&rec, &cmp, &e), -1);
  assert_int_equal(e.reason, AS_REASON_EDITED);
  assert_int_equal(e.line, 3);
  assert_string_equal(e.file, "2.sql");
  assert_int_equal(e.pos, rec.v[1].pos);
  /* Added in the middle: the new file is blamed, on the line it displaces. */
  const char *mid[] = {"1.sql=a", "15.sql=x", "2.sql=B", "3.sql=C"};
  make_list(&cmp, 4, mid);
  assert_int_equal(as_compare(&rec, &cmp, &e), -1);
  assert_int_equal(e.reason, AS_REASON_ADDED);
  assert_int_equal(e.line, 3);
  assert_string_equal(e.file, "15.sql");
  /* Added at the end: Line = Total + 2, pos = end of the file. */
  const char *end[] = {"1.sql=a", "2.sql=b", "3.sql=c", "4.sql=d"};
  make_list(&cmp, 4, end);
  assert_int_equal(as_compare(&rec, &cmp, &e), -1);
  assert_int_equal(e.reason, AS_REASON_ADDED);
  assert_int_equal(e.line, 5);
  assert_string_equal(e.file, "4.sql");
  assert_int_equal(e.pos, rec.text_len);
  /* Removed. */
  const char *removed[] = {"1.sql=a", "3.sql=C"};
  make_list(&cmp, 2, removed);
  assert_int_equal(as_compare(&rec, &cmp, &e), -1);
  assert_int_equal(e.reason, AS_REASON_REMOVED);
  assert_int_equal(e.line, 3);
  assert_string_equal(e.file, "2.sql");
  /* The last file removed. */
  make_list(&cmp, 2, base);
  assert_int_equal(as_compare(&rec, &cmp, &e), -1);
  assert_int_equal(e.reason, AS_REASON_REMOVED);
  assert_int_equal(e.line, 4);
  assert_string_equal(e.file, "3.sql");
  as_list_free(&rec);
  as_list_free(&cmp);
}

/* ---- the vectors ------------------------------------------------------------------- */

/* Read a whole file into a malloc'd buffer. */
static char *slurp(const char *path, size_t *len) {
  FILE *f = fopen(path, "rb");
  if (!f)
    return NULL;
  dbh_buf b = {0};
  char chunk[4096];
  size_t n;
  while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
    assert_int_equal(dbh_buf_append(&b, chunk, n), 0);
  fclose(f);
  assert_int_equal(dbh_buf_append(&b, "", 1), 0);
  *len = b.len - 1;
  return b.data;
}

/* Check one directory that holds an atlas.sum; recurse into subdirectories. */
static int check_vector_dir(as_work *w, const char *dir) {
  int count = 0;
  char path[4096];
  snprintf(path, sizeof path, "%s/atlas.sum", dir);
  size_t len;
  char *want = slurp(path, &len);
  if (want) {
    as_error e;
    if (as_compute_dir(w, dir, &e) != 0)
      fail_msg("%s: as_compute_dir failed (%s)", dir, as_kind_code(&e));
    w->text.len = 0;
    assert_int_equal(as_render(&w->computed, &w->text), 0);
    if (w->text.len != len || memcmp(w->text.data, want, len) != 0)
      fail_msg("%s: atlas.sum differs:\n%.*s", dir, (int)w->text.len, w->text.data);
    if (as_validate_dir(w, dir, &e) != 0)
      fail_msg("%s: validation failed (%s)", dir, as_kind_code(&e));
    /* Parsing the recorded file gives the same total. */
    assert_int_equal(as_parse(want, len, &w->recorded, &e), 0);
    assert_string_equal(w->recorded.total, w->computed.total);
    free(want);
    count++;
  }
  DIR *d = opendir(dir);
  assert_non_null(d);
  struct dirent *de;
  while ((de = readdir(d)) != NULL) {
    struct stat st;
    if (de->d_name[0] == '.')
      continue;
    snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
    if (stat(path, &st) == 0 && S_ISDIR(st.st_mode))
      count += check_vector_dir(w, path);
  }
  closedir(d);
  return count;
}

static void vectors_reproduce(void **state) {
  (void)state;
  const char *vectors = getenv("DBHOST_VECTORS");
  if (!vectors)
    fail_msg("DBHOST_VECTORS is not set");
  char root[4096];
  snprintf(root, sizeof root, "%s/atlas-sum", vectors);
  as_work w = {0};
  int count = check_vector_dir(&w, root);
  as_work_free(&w);
  /* broken-stmt, migrate-nested (+ sub), partial-checkpoint, postgres-initial,
  ** timestamped, txmode-none. */
  assert_true(count >= 7);
}

static void validate_missing_sum(void **state) {
  (void)state;
  as_work w = {0};
  as_error e;
  char tmpl[] = "/tmp/test_hash.XXXXXX";
  assert_non_null(mkdtemp(tmpl));
  /* Empty directory: fine. */
  assert_int_equal(as_validate_dir(&w, tmpl, &e), 0);
  assert_int_equal(as_compute_dir(&w, tmpl, &e), 0);
  assert_string_equal(w.computed.total, AS_EMPTY_TOTAL);
  /* A .sql file and no atlas.sum: not found. Other files do not count. */
  char path[256];
  snprintf(path, sizeof path, "%s/notes.txt", tmpl);
  FILE *f = fopen(path, "w");
  fputs("x", f);
  fclose(f);
  assert_int_equal(as_validate_dir(&w, tmpl, &e), 0);
  snprintf(path, sizeof path, "%s/1.sql", tmpl);
  f = fopen(path, "w");
  fputs("SELECT 1;\n", f);
  fclose(f);
  assert_int_equal(as_validate_dir(&w, tmpl, &e), -1);
  assert_int_equal(e.kind, AS_ENOTFOUND);
  assert_string_equal(as_kind_message(e.kind), "checksum file not found");
  remove(path);
  snprintf(path, sizeof path, "%s/notes.txt", tmpl);
  remove(path);
  rmdir(tmpl);
  /* A missing directory is a system error. */
  assert_int_equal(as_compute_dir(&w, "/nonexistent/dbhost-test", &e), -1);
  assert_int_equal(e.kind, AS_ERRNO);
  assert_string_equal(as_kind_code(&e), "ENOENT");
  as_work_free(&w);
}

/* ---- through Lua ---------------------------------------------------------------------- */

static void lua_hasher_digest_does_not_reset(void **state) {
  (void)state;
  lua_State *L = luaL_newstate();
  luaL_openlibs(L);
  luaL_requiref(L, "dbhost.hash", luaopen_dbhost_hash, 0);
  lua_pop(L, 1);
  const char *code =
      "local hash = require 'dbhost.hash'\n"
      "local h = hash.new()\n"
      "h:update('a'):update('bc')\n"
      "local d1 = h:digest()\n"
      "assert(d1 == h:digest() and d1 == hash.sha256('abc'))\n"
      "h:update('d')\n"
      "assert(h:digest() == hash.sha256('abcd'))\n"
      "h:close(); h:close()\n"
      "assert(not pcall(h.update, h, 'x'))\n"
      "do local g <close> = hash.new() end\n"
      "return hash.hex(d1)";
  if (luaL_dostring(L, code) != LUA_OK)
    fail_msg("%s", lua_tostring(L, -1));
  assert_string_equal(lua_tostring(L, -1),
                      "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  lua_close(L);
}

int main(void) {
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(sha256_known_answers),
    cmocka_unit_test(base64_rfc4648),
    cmocka_unit_test(running_hash_is_cumulative),
    cmocka_unit_test(empty_list_renders_empty_total),
    cmocka_unit_test(sum_ignore_directive),
    cmocka_unit_test(parse_good_inputs),
    cmocka_unit_test(parse_bad_inputs),
    cmocka_unit_test(compare_reasons),
    cmocka_unit_test(vectors_reproduce),
    cmocka_unit_test(validate_missing_sum),
    cmocka_unit_test(lua_hasher_digest_does_not_reset),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
