/*
** test_yaml.c: dbhost.yaml (bindings/yaml.c) through the Lua API, on small
** inputs: locate's offsets, styles and positions; set_scalar's splices for
** plain, quoted, flow, tagged, anchored, CRLF and empty scalars; errors with
** file:line:col; aliases, anchors, comments between keys, quoted keys.
*/
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include <lua.h>
#include <lauxlib.h>
#include <lualib.h>

int luaopen_dbhost_yaml(lua_State *L);

/* A Lua state with dbhost.yaml loaded as the global `yaml`. */
static int setup(void **state) {
  lua_State *L = luaL_newstate();
  if (!L)
    return -1;
  luaL_openlibs(L);
  luaL_requiref(L, "dbhost.yaml", luaopen_dbhost_yaml, 0);
  lua_setglobal(L, "yaml");
  *state = L;
  return 0;
}

static int teardown(void **state) {
  lua_close(*state);
  return 0;
}

/*
** Call yaml.<fn>(text, path [, value]) with filename "t.yaml"; leaves the
** results on the stack (top reset first) and returns how many.
*/
static int call(lua_State *L, const char *fn, const char *text, size_t len,
                const char *path, const char *value) {
  lua_settop(L, 0);
  lua_getglobal(L, "yaml");
  lua_getfield(L, 1, fn);
  lua_remove(L, 1);
  lua_pushlstring(L, text, len);
  lua_pushstring(L, path);
  int n = 3;
  if (value) {
    lua_pushstring(L, value);
    n++;
  }
  lua_pushliteral(L, "t.yaml");
  if (lua_pcall(L, n, LUA_MULTRET, 0) != LUA_OK)
    fail_msg("yaml.%s raised: %s", fn, lua_tostring(L, -1));
  return lua_gettop(L);
}

/* Integer field of the table at index 1. */
static lua_Integer ifield(lua_State *L, const char *k) {
  lua_getfield(L, 1, k);
  lua_Integer v = lua_tointeger(L, -1);
  lua_pop(L, 1);
  return v;
}

/* String field of the table at index 1 ("<nil>" when absent), copied. */
static const char *sfield(lua_State *L, const char *k, char *buf, size_t size) {
  lua_getfield(L, 1, k);
  const char *s = lua_tostring(L, -1);
  snprintf(buf, size, "%s", s ? s : "<nil>");
  lua_pop(L, 1);
  return buf;
}

/* locate must succeed; check the source bytes, style and value. */
static void expect_loc(lua_State *L, const char *text, const char *path, const char *source,
                       const char *style, const char *value, int line, int col) {
  char buf[256];
  int n = call(L, "locate", text, strlen(text), path, NULL);
  if (n != 1)
    fail_msg("locate %s: %s", path, lua_tostring(L, 2));
  lua_Integer start = ifield(L, "start"), stop = ifield(L, "stop");
  assert_true(start >= 1 && stop >= start - 1 && (size_t)stop <= strlen(text));
  snprintf(buf, sizeof buf, "%.*s", (int)(stop - start + 1), text + start - 1);
  assert_string_equal(buf, source);
  assert_string_equal(sfield(L, "style", buf, sizeof buf), style);
  assert_string_equal(sfield(L, "value", buf, sizeof buf), value);
  assert_int_equal(ifield(L, "line"), line);
  assert_int_equal(ifield(L, "col"), col);
}

/* set_scalar must succeed and give exactly `want`. */
static void expect_set(lua_State *L, const char *text, const char *path, const char *value,
                       const char *want) {
  int n = call(L, "set_scalar", text, strlen(text), path, value);
  if (n != 1)
    fail_msg("set_scalar %s: %s", path, lua_tostring(L, 2));
  assert_string_equal(lua_tostring(L, 1), want);
}

/* locate (or set_scalar when value != NULL) must fail with msg and code. */
static void expect_fail(lua_State *L, const char *text, const char *path, const char *value,
                        const char *msg, const char *code) {
  int n = call(L, value ? "set_scalar" : "locate", text, strlen(text), path, value);
  assert_int_equal(n, 3);
  assert_true(lua_isnil(L, 1));
  assert_string_equal(lua_tostring(L, 2), msg);
  assert_string_equal(lua_tostring(L, 3), code);
}

/* ---- locate ------------------------------------------------------------- */

static void locate_plain_and_quoted(void **state) {
  lua_State *L = *state;
  const char *t =
      "# header comment\n"
      "a: plain value   # trailing\n"
      "b: 'it''s'\n"
      "# between keys\n"
      "\n"
      "c: \"x\\ty\"\n"
      "'quoted key': q\n"
      "\"dq key\": dq\n";
  expect_loc(L, t, "a", "plain value", "plain", "plain value", 2, 4);
  expect_loc(L, t, "b", "'it''s'", "single", "it's", 3, 4);
  expect_loc(L, t, "c", "\"x\\ty\"", "double", "x\ty", 6, 4);
  expect_loc(L, t, "quoted key", "q", "plain", "q", 7, 15);
  expect_loc(L, t, "dq key", "dq", "plain", "dq", 8, 11);
}

static void locate_nested_flow_and_sequences(void **state) {
  lua_State *L = *state;
  const char *t =
      "top:\n"
      "  m: {a: 1, b: \"x\"}\n"
      "  s: [one, 'two', !Ref three]\n"
      "  list:\n"
      "    - first\n"
      "    - k: v\n";
  expect_loc(L, t, "top.m.a", "1", "plain", "1", 2, 10);
  expect_loc(L, t, "top.m.b", "\"x\"", "double", "x", 2, 16);
  expect_loc(L, t, "top.s.1", "one", "plain", "one", 3, 7);
  expect_loc(L, t, "top.s.2", "'two'", "single", "two", 3, 12);
  expect_loc(L, t, "top.s.3", "three", "plain", "three", 3, 24);
  expect_loc(L, t, "top.list.1", "first", "plain", "first", 5, 7);
  expect_loc(L, t, "top.list.2.k", "v", "plain", "v", 6, 10);
  /* the tag is reported, the flow flag set */
  call(L, "locate", t, strlen(t), "top.s.3", NULL);
  char buf[64];
  assert_string_equal(sfield(L, "tag", buf, sizeof buf), "!Ref");
  lua_getfield(L, 1, "flow");
  assert_true(lua_toboolean(L, -1));
}

static void locate_tags_anchors_and_multiline(void **state) {
  lua_State *L = *state;
  const char *t =
      "a: &anc !Sub \"${X}\"\n"
      "b: !GetAtt\n"
      "  # a comment between the tag and its scalar\n"
      "  Fn.Arn\n"
      "c: *anc\n"
      "d: 'one\n"
      "  two'\n"
      "e:\n"
      "f: !Ref\n";
  expect_loc(L, t, "a", "\"${X}\"", "double", "${X}", 1, 14);
  expect_loc(L, t, "b", "Fn.Arn", "plain", "Fn.Arn", 4, 3);
  expect_loc(L, t, "d", "'one\n  two'", "single", "one two", 6, 4);
  /* empty plain scalars: an empty span where a value would go */
  expect_loc(L, t, "e", "", "plain", "", 8, 3);
  expect_loc(L, t, "f", "", "plain", "", 9, 8);
  expect_fail(L, t, "c", NULL, "t.yaml:5:4: c is an alias (*anc), not a scalar", "ENOTSCALAR");
}

static void locate_crlf_and_utf8(void **state) {
  lua_State *L = *state;
  /* offsets are bytes even though libyaml counts characters */
  const char *t = "\xEF\xBB\xBF" "n\xC3\xA9: \xE2\x82\xAC\r\nk: 'v'\r\n";
  expect_loc(L, t, "n\xC3\xA9", "\xE2\x82\xAC", "plain", "\xE2\x82\xAC", 1, 5);
  expect_loc(L, t, "k", "'v'", "single", "v", 2, 4);
  expect_set(L, t, "k", "w x", "\xEF\xBB\xBF" "n\xC3\xA9: \xE2\x82\xAC\r\nk: 'w x'\r\n");
  expect_set(L, t, "n\xC3\xA9", "\xC3\xBC", "\xEF\xBB\xBF" "n\xC3\xA9: \xC3\xBC\r\nk: 'v'\r\n");
}

static void locate_errors(void **state) {
  lua_State *L = *state;
  expect_fail(L, "a:\n  b: 1\n", "a.c", NULL, "t.yaml: no key \"c\" under a (line 1)", "ENOPATH");
  expect_fail(L, "a: [x]\n", "a.2", NULL, "t.yaml: no item 2 under a (line 1): it has 1",
              "ENOPATH");
  expect_fail(L, "a: {b: c}\n", "a", NULL, "t.yaml:1:4: a is a mapping, not a scalar",
              "ENOTSCALAR");
  expect_fail(L, "a: b\n  c: d\n", "a", NULL,
              "t.yaml:2:4: mapping values are not allowed in this context", "EYAML");
  expect_fail(L, "a:\n\t- b\n", "a", NULL,
              "t.yaml:2:1: found character that cannot start any token (while scanning for "
              "the next token that started at line 2, column 1)", "EYAML");
  expect_fail(L, "a: 'open\n", "a", NULL,
              "t.yaml:2:1: found unexpected end of stream (while scanning a quoted scalar "
              "that started at line 1, column 4)", "EYAML");
  expect_fail(L, "a: &x b\nc: *y\n", "a", NULL, "t.yaml:2:4: undefined alias *y", "EYAML");
  expect_fail(L, "\xFF\xFE" "a\0:\0", "a", NULL,
              "t.yaml:1:1: UTF-16 text is not supported; save the file as UTF-8", "EYAML");
}

/* ---- set_scalar --------------------------------------------------------- */

static void set_keeps_every_other_byte(void **state) {
  lua_State *L = *state;
  const char *t =
      "# c1\n"
      "Resources:   # c2\n"
      "  X:\n"
      "    Properties:\n"
      "      MigrationHash: old   # c3\n"
      "      Other: !Ref Y\n";
  expect_set(L, t, "Resources.X.Properties.MigrationHash", "abc123def",
             "# c1\n"
             "Resources:   # c2\n"
             "  X:\n"
             "    Properties:\n"
             "      MigrationHash: abc123def   # c3\n"
             "      Other: !Ref Y\n");
  /* plain that would read as something else becomes double-quoted */
  expect_set(L, "h: old\n", "h", "123", "h: \"123\"\n");
  expect_set(L, "h: old\n", "h", "true", "h: \"true\"\n");
  expect_set(L, "h: old\n", "h", "a #b", "h: \"a #b\"\n");
  expect_set(L, "h: old\n", "h", "-x", "h: \"-x\"\n");
  expect_set(L, "h: old\n", "h", "", "h: \"\"\n");
  expect_set(L, "h: old\n", "h", "line\nbreak\x01", "h: \"line\\nbreak\\u0001\"\n");
  /* quoted styles are kept, with their escaping */
  expect_set(L, "h: 'old'\n", "h", "it's", "h: 'it''s'\n");
  expect_set(L, "h: 'old'\n", "h", "tab\there", "h: 'tab\there'\n");
  expect_set(L, "h: 'old'\n", "h", "nl\n", "h: \"nl\\n\"\n");
  expect_set(L, "h: \"old\"\n", "h", "q\"b\\s", "h: \"q\\\"b\\\\s\"\n");
}

static void set_flow_tags_anchors_empty(void **state) {
  lua_State *L = *state;
  expect_set(L, "m: {a: 1, b: \"x\"}\n", "m.a", "two", "m: {a: two, b: \"x\"}\n");
  expect_set(L, "m: {a: 1, b: \"x\"}\n", "m.a", "x,y", "m: {a: \"x,y\", b: \"x\"}\n");
  expect_set(L, "m: {a: 1, b: \"x\"}\n", "m.b", "y", "m: {a: 1, b: \"y\"}\n");
  expect_set(L, "s: [a, b]\n", "s.2", "c", "s: [a, c]\n");
  expect_set(L, "a: &h !Sub '${X}'\nb: *h\n", "a", "${Y}", "a: &h !Sub '${Y}'\nb: *h\n");
  expect_set(L, "a: !GetAtt\n  # note\n  F.Arn\n", "a", "G.Arn", "a: !GetAtt\n  # note\n  G.Arn\n");
  expect_set(L, "a:\nb: 1\n", "a", "v", "a: v\nb: 1\n");
  expect_set(L, "a: # empty\nb: 1\n", "a", "v", "a: v # empty\nb: 1\n");
  expect_set(L, "a: !Ref\r\nb: 1\r\n", "a", "R", "a: !Ref R\r\nb: 1\r\n");
  /* same value: unchanged bytes */
  expect_set(L, "a: 007\n", "a", "007", "a: 007\n");
}

static void set_refusals(void **state) {
  lua_State *L = *state;
  expect_fail(L, "a: |\n  x\n", "a", "y",
              "t.yaml:1:4: a is a literal (|) block scalar; only plain and quoted scalars "
              "are rewritten in place", "ESTYLE");
  expect_fail(L, "a: >-\n  x\n", "a", "y",
              "t.yaml:1:4: a is a folded (>) block scalar; only plain and quoted scalars "
              "are rewritten in place", "ESTYLE");
  expect_fail(L, "{a}\n", "a", "v",
              "t.yaml: cannot rewrite a in place: the edited text would not read back as the "
              "new value: t.yaml: no key \"a\" under the document root (line 1)", "ESTYLE");
  expect_fail(L, "a: [b\n", "a.1", "v",
              "t.yaml:2:1: did not find expected ',' or ']' (while parsing a flow sequence "
              "that started at line 1, column 4)", "EYAML");
  /* misuse raises */
  lua_settop(L, 0);
  assert_int_not_equal(luaL_dostring(L, "return yaml.set_scalar('a: b', 'a', '\\255')"), LUA_OK);
  assert_non_null(strstr(lua_tostring(L, -1), "not valid UTF-8"));
  assert_int_not_equal(luaL_dostring(L, "return yaml.locate('a: b', '.a')"), LUA_OK);
}

/* ---- load ---------------------------------------------------------------- */

static void load_values(void **state) {
  lua_State *L = *state;
  lua_settop(L, 0);
  const char *chunk =
      "local v = assert(yaml.load([==[\n"
      "k: !Join ['', [a, !Ref B]]\n"
      "n: 12\n"
      "anc: &x {p: q}\n"
      "ali: *x\n"
      "seq:\n"
      "  - 1\n"
      "  - !!str 2\n"
      "]==]))\n"
      "assert(v.k.tag == '!Join' and v.k.value[1] == '' and v.k.value[2][2].tag == '!Ref')\n"
      "assert(v.n == '12' and v.anc == v.ali and v.anc.p == 'q')\n"
      "assert(v.seq[1] == '1' and v.seq[2] == '2' and #v.seq == 2)\n"
      "local r, m, c = yaml.load('a: b\\n---\\nc: d\\n', 'f.yaml')\n"
      "assert(r == nil and c == 'EYAML', m)\n"
      "return m\n";
  if (luaL_dostring(L, chunk) != LUA_OK)
    fail_msg("%s", lua_tostring(L, -1));
  assert_string_equal(lua_tostring(L, -1),
                      "f.yaml:2:1: a second YAML document; expected one document per file");
}

/* The state userdata's __gc frees libyaml even when a walk is cut short. */
static void gc_after_errors(void **state) {
  lua_State *L = *state;
  for (int i = 0; i < 50; i++) {
    call(L, "locate", "a: [b, {c: \n", 12, "a.2.c", NULL);
    call(L, "locate", "a: &x [*x]\n", 11, "a.1", NULL);
  }
  lua_settop(L, 0);
  lua_gc(L, LUA_GCCOLLECT, 0);
  /* a self-referencing alias loads as a table holding itself */
  assert_int_equal(luaL_dostring(L, "local t = yaml.load('a: &x [*x]') return t.a[1] == t.a"),
                   LUA_OK);
  assert_true(lua_toboolean(L, -1));
}

int main(void) {
  const struct CMUnitTest tests[] = {
    cmocka_unit_test_setup_teardown(locate_plain_and_quoted, setup, teardown),
    cmocka_unit_test_setup_teardown(locate_nested_flow_and_sequences, setup, teardown),
    cmocka_unit_test_setup_teardown(locate_tags_anchors_and_multiline, setup, teardown),
    cmocka_unit_test_setup_teardown(locate_crlf_and_utf8, setup, teardown),
    cmocka_unit_test_setup_teardown(locate_errors, setup, teardown),
    cmocka_unit_test_setup_teardown(set_keeps_every_other_byte, setup, teardown),
    cmocka_unit_test_setup_teardown(set_flow_tags_anchors_empty, setup, teardown),
    cmocka_unit_test_setup_teardown(set_refusals, setup, teardown),
    cmocka_unit_test_setup_teardown(load_values, setup, teardown),
    cmocka_unit_test_setup_teardown(gc_after_errors, setup, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
