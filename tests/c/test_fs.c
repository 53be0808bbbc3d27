/*
** test_fs.c: the C side of dbhost.fs, driven through a Lua state: atomic
** writes under failure, and no descriptor leaked on any path.
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

int luaopen_dbhost_fs(lua_State *L);

static int count_fds(void) {
  int n = 0;
  DIR *d = opendir("/proc/self/fd");
  if (!d)
    return -1;
  while (readdir(d))
    n++;
  closedir(d);
  return n;
}

static int setup(void **state) {
  lua_State *L = luaL_newstate();
  luaL_openlibs(L);
  luaL_requiref(L, "dbhost.fs", luaopen_dbhost_fs, 0);
  lua_setglobal(L, "fs");
  *state = L;
  return 0;
}

static int teardown(void **state) {
  lua_close(*state);
  return 0;
}

/* Run a chunk that must return true; fail with its message otherwise. */
static void check(lua_State *L, const char *code) {
  if (luaL_dostring(L, code) != LUA_OK)
    fail_msg("%s", lua_tostring(L, -1));
  if (!lua_toboolean(L, -1))
    fail_msg("chunk returned false: %s", code);
  lua_settop(L, 0);
}

static void test_atomic_write_replaces_whole_file(void **state) {
  lua_State *L = *state;
  check(L,
        "local d = assert(fs.mkdtemp('test-fs'))\n"
        "assert(fs.write(d .. '/f', string.rep('a', 100000)))\n"
        "assert(fs.write(d .. '/f', 'short'))\n"
        "local ok = fs.read(d .. '/f') == 'short' and #fs.list(d) == 1\n"
        "fs.rmtree(d)\n"
        "return ok");
}

static void test_write_to_missing_dir_fails_cleanly(void **state) {
  lua_State *L = *state;
  check(L,
        "local d = assert(fs.mkdtemp('test-fs'))\n"
        "local ok, msg, code = fs.write(d .. '/missing/f', 'x')\n"
        "local good = ok == nil and code == 'ENOENT' and msg:find('missing/f', 1, true) ~= nil\n"
        "good = good and #fs.list(d) == 0\n"
        "fs.rmtree(d)\n"
        "return good");
}

static void test_no_descriptor_leaks(void **state) {
  lua_State *L = *state;
  int before = count_fds();
  check(L,
        "local d = assert(fs.mkdtemp('test-fs'))\n"
        "for i = 1, 50 do\n"
        "  assert(fs.write(d .. '/f' .. i, 'x'))\n"
        "  assert(fs.read(d .. '/f' .. i))\n"
        "  assert(fs.list(d))\n"
        "  assert(fs.read(d .. '/nope') == nil)\n"
        "  assert(fs.read(d) == nil)\n"
        "  assert(fs.list(d .. '/nope') == nil)\n"
        "end\n"
        "fs.rmtree(d)\n"
        "return true");
  assert_int_equal(count_fds(), before);
}

static void test_rmtree_deep_tree(void **state) {
  lua_State *L = *state;
  check(L,
        "local d = assert(fs.mkdtemp('test-fs'))\n"
        "local p = d\n"
        "for i = 1, 60 do p = p .. '/d'; assert(fs.mkdir(p)); assert(fs.write(p .. '/f', 'x')) end\n"
        "assert(fs.rmtree(d))\n"
        "return fs.stat(d) == nil");
}

int main(void) {
  const struct CMUnitTest tests[] = {
    cmocka_unit_test_setup_teardown(test_atomic_write_replaces_whole_file, setup, teardown),
    cmocka_unit_test_setup_teardown(test_write_to_missing_dir_fails_cleanly, setup, teardown),
    cmocka_unit_test_setup_teardown(test_no_descriptor_leaks, setup, teardown),
    cmocka_unit_test_setup_teardown(test_rmtree_deep_tree, setup, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
