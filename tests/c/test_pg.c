/*
** test_pg.c: cmocka tests of the dbhost.pg binding against the fixture server
** (DBHOST_TEST_DATABASE_URL, started by tests/lib/pgserver.sh).
**
** Each test makes a fresh Lua state with dbhost.pg preloaded and the URL in the
** global URL, runs small chunks and checks what they return from C.
*/
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <lua.h>
#include <lauxlib.h>
#include <lualib.h>

#include "common.h"

int luaopen_dbhost_pg(lua_State *L);

/* ---------------------------------------------------------------- helpers */

static double wall_seconds(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int setup(void **state) {
  const char *url = getenv("DBHOST_TEST_DATABASE_URL");
  if (!url) {
    fprintf(stderr, "DBHOST_TEST_DATABASE_URL is not set (run through ctest)\n");
    return -1;
  }
  lua_State *L = luaL_newstate();
  luaL_openlibs(L);
  luaL_requiref(L, "dbhost.pg", luaopen_dbhost_pg, 0);
  lua_setglobal(L, "pg");
  lua_pushstring(L, url);
  lua_setglobal(L, "URL");
  *state = L;
  return 0;
}

static int teardown(void **state) {
  lua_close(*state);
  return 0;
}

/* Run chunk `code`; it must not raise. Leaves its results on the stack. */
static void run(lua_State *L, const char *code) {
  lua_settop(L, 0);
  if (luaL_loadstring(L, code) != LUA_OK || lua_pcall(L, 0, LUA_MULTRET, 0) != LUA_OK)
    fail_msg("Lua error: %s", luaL_tolstring(L, -1, NULL));
}

/* Run chunk `code`, which must raise; leaves the error value on the stack. */
static void run_raises(lua_State *L, const char *code) {
  lua_settop(L, 0);
  assert_int_equal(luaL_loadstring(L, code), LUA_OK);
  if (lua_pcall(L, 0, 0, 0) == LUA_OK)
    fail_msg("expected an error from: %s", code);
}

static const char *str_at(lua_State *L, int i) {
  if (lua_type(L, i) != LUA_TSTRING)
    fail_msg("result %d is a %s, not a string", i, luaL_typename(L, i));
  return lua_tostring(L, i);
}

/* ---------------------------------------------------------------- tests */

/* URL and keyword forms connect; a bare keyword string is built from the URL's host. */
static void test_connect_forms(void **state) {
  lua_State *L = *state;
  run(L, "local c = assert(pg.connect(URL))\n"
         "local host = URL:match('host=([^&]+)')\n"
         "local k = assert(pg.connect('host=' .. host .. ' user=postgres dbname=postgres'))\n"
         "local r = assert(k:exec('select current_user as u'))\n"
         "return c:status(), c:server_version(), r.rows[1].u, k:backend_pid() ~= c:backend_pid()");
  assert_string_equal(str_at(L, 1), "ok");
  assert_true(lua_tointeger(L, 2) >= 100000);
  assert_string_equal(str_at(L, 3), "postgres");
  assert_true(lua_toboolean(L, 4));
}

/* A failed connection says why, with a stable code, and never shows the password. */
static void test_connect_failure_hides_password(void **state) {
  lua_State *L = *state;
  static const char *const cases[][2] = {
    {"postgresql://alice:s3cr3t@/db?host=/nonexistent-dbhost-socket-dir", "08001"},
    {"host=/nonexistent-dbhost-socket-dir user=alice password=s3cr3t", "08001"},
    {"postgresql://alice:s3cr3t%zz@/db?host=/nonexistent", "EINVAL"}, /* libpq quotes the token */
    {"password=s3cr3t host", "EINVAL"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
    lua_settop(L, 0);
    lua_getglobal(L, "pg");
    lua_getfield(L, -1, "connect");
    lua_pushstring(L, cases[i][0]);
    lua_call(L, 1, 3);
    assert_true(lua_isnil(L, -3));
    const char *msg = str_at(L, -2);
    assert_true(strlen(msg) > 10);
    if (strstr(msg, "s3cr3t"))
      fail_msg("password leaked for %s: %s", cases[i][0], msg);
    assert_string_equal(str_at(L, -1), cases[i][1]);
  }
  /* the socket that is not there is named */
  run(L, "return select(2, pg.connect('postgresql://alice:s3cr3t@/db?host=/nonexistent-dbhost-socket-dir'))");
  assert_non_null(strstr(str_at(L, 1), "/nonexistent-dbhost-socket-dir"));
}

/* Parameters: NULL, unicode, numbers and booleans as text. */
static void test_parameters(void **state) {
  lua_State *L = *state;
  run(L, "local c = assert(pg.connect(URL))\n"
         "local r = assert(c:exec('select $1::text as a, $2::text as b, $3::int + 1 as n, '\n"
         "  .. '$4::float8 * 2 as f, $5::bool as t, $6::text is null as isnull', \n"
         "  nil, 'h\\u{e9}llo \\u{1F418}', 41, 0.1, false, nil))\n"
         "local row = r.rows[1]\n"
         "return row.a, row.b, row.n, row.f, row.t, row.isnull, r[1] == row, r.ntuples, #r.fields");
  assert_true(lua_isnil(L, 1));
  assert_string_equal(str_at(L, 2), "h\xc3\xa9llo \xf0\x9f\x90\x98");
  assert_string_equal(str_at(L, 3), "42");
  assert_string_equal(str_at(L, 4), "0.2");
  assert_string_equal(str_at(L, 5), "f");
  assert_string_equal(str_at(L, 6), "t");
  assert_true(lua_toboolean(L, 7));
  assert_int_equal(lua_tointeger(L, 8), 1);
  assert_int_equal(lua_tointeger(L, 9), 6);
  /* a table parameter is misuse */
  run_raises(L, "local c = assert(pg.connect(URL)); c:exec('select $1', {})");
  assert_non_null(strstr(lua_tostring(L, -1), "parameter must be"));
  run_raises(L, "local c = assert(pg.connect(URL)); c:exec('select 1\\0 drop table x')");
  assert_non_null(strstr(lua_tostring(L, -1), "zero byte"));
}

/* Several statements: exec returns the last result, exec_all every one. */
static void test_multiple_statements(void **state) {
  lua_State *L = *state;
  run(L, "local c = assert(pg.connect(URL))\n"
         "local last = assert(c:exec('create temp table m(x int); insert into m values (1), (2), (3); select sum(x) as s from m'))\n"
         "local all = assert(c:exec_all('insert into m values (4); update m set x = x + 1; select x from m order by x'))\n"
         "local rows = assert(c:query('select count(*) as n from m'))\n"
         "return last.rows[1].s, #all, all[1].command, all[2].affected, all[3].ntuples, all[3][4].x, rows[1].n");
  assert_string_equal(str_at(L, 1), "6");
  assert_int_equal(lua_tointeger(L, 2), 3);
  assert_string_equal(str_at(L, 3), "INSERT 0 1");
  assert_int_equal(lua_tointeger(L, 4), 4);
  assert_int_equal(lua_tointeger(L, 5), 4);
  assert_string_equal(str_at(L, 6), "5");
  assert_string_equal(str_at(L, 7), "4");
}

/* SQL errors come back as nil, err, sqlstate with the server's fields. */
static void test_error_fields(void **state) {
  lua_State *L = *state;
  run(L, "local c = assert(pg.connect(URL))\n"
         "local ok, e, code = c:exec('select 1; selec 2')\n"
         "local ok2, e2, code2 = c:exec('select no_such_function($1::int)', 1)\n"
         "return ok == nil, code, e.sqlstate, e.position, e.message, tostring(e),\n"
         "       code2, e2.hint, tostring(e2), c:status()");
  assert_true(lua_toboolean(L, 1));
  assert_string_equal(str_at(L, 2), "42601");
  assert_string_equal(str_at(L, 3), "42601");
  assert_int_equal(lua_tointeger(L, 4), 11);
  assert_string_equal(str_at(L, 5), "syntax error at or near \"selec\"");
  assert_string_equal(str_at(L, 6), "ERROR: syntax error at or near \"selec\" (SQLSTATE 42601)");
  assert_string_equal(str_at(L, 7), "42883");
  assert_non_null(strstr(str_at(L, 8), "explicit type casts"));
  assert_non_null(strstr(str_at(L, 9), "(SQLSTATE 42883)\nHINT: No function matches"));
  assert_string_equal(str_at(L, 10), "ok");
}

/* RAISE NOTICE is collected on the connection and cleared by notices(). */
static void test_notices(void **state) {
  lua_State *L = *state;
  run(L, "local c = assert(pg.connect(URL))\n"
         "assert(c:exec([[do $$ begin raise notice 'first %', 1; raise warning 'second'; end $$]]))\n"
         "local n = c:notices()\n"
         "return #n, n[1], n[2], #c:notices()");
  assert_int_equal(lua_tointeger(L, 1), 2);
  assert_string_equal(str_at(L, 2), "NOTICE: first 1");
  assert_string_equal(str_at(L, 3), "WARNING: second");
  assert_int_equal(lua_tointeger(L, 4), 0);
}

/* A statement past the timeout is canceled on the server within about a second. */
static void test_timeout_cancels(void **state) {
  lua_State *L = *state;
  double t0 = wall_seconds();
  run(L, "c = assert(pg.connect(URL, { timeout = 5, statement_timeout = 0.3 }))\n"
         "local ok, e, code = c:exec('select pg_sleep(10)')\n"
         "return ok == nil, code, e.timeout, e.message");
  double took = wall_seconds() - t0;
  assert_true(lua_toboolean(L, 1));
  assert_string_equal(str_at(L, 2), "57014");
  assert_true(lua_toboolean(L, 3));
  assert_non_null(strstr(str_at(L, 4), "timed out"));
  if (took > 1.5)
    fail_msg("timeout took %.2f s", took);
  /* the connection is usable and nothing sleeps on the server any more */
  run(L, "local other = assert(pg.connect(URL))\n"
         "local r = assert(other:exec([[select count(*) as n from pg_stat_activity\n"
         "  where pid = $1 and state = 'active']], c:backend_pid()))\n"
         "return r[1].n, assert(c:exec('select 7 as x'))[1].x, c:transaction_status()");
  assert_string_equal(str_at(L, 1), "0");
  assert_string_equal(str_at(L, 2), "7");
  assert_string_equal(str_at(L, 3), "idle");
}

static void on_alarm(int sig) {
  (void)sig;
  dbh_interrupted = 1;
}

/* Ctrl-C (dbh_interrupted) during a statement cancels it, then raises "interrupted". */
static void test_interrupt_cancels(void **state) {
  lua_State *L = *state;
  run(L, "c = assert(pg.connect(URL))");
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_alarm;
  sigaction(SIGALRM, &sa, NULL);
  struct itimerval it = {.it_value = {.tv_sec = 0, .tv_usec = 300000}};
  setitimer(ITIMER_REAL, &it, NULL);
  double t0 = wall_seconds();
  run_raises(L, "c:exec('select pg_sleep(10)')");
  double took = wall_seconds() - t0;
  signal(SIGALRM, SIG_DFL);
  assert_int_equal(lua_type(L, -1), LUA_TTABLE);
  lua_getfield(L, -1, "message");
  assert_string_equal(str_at(L, -1), "interrupted");
  assert_int_equal(dbh_interrupted, 0);
  if (took > 1.5)
    fail_msg("interrupt took %.2f s", took);
  run(L, "return assert(c:exec('select 8 as x'))[1].x, c:transaction_status()");
  assert_string_equal(str_at(L, 1), "8");
  assert_string_equal(str_at(L, 2), "idle");
}

/*
** A server that accepts the connection but never answers: a listening unix
** socket in a fresh directory. Returns the listening fd; *dir gets the path.
*/
static int silent_server(char *dir, size_t dirsize) {
  const char *tmp = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
  snprintf(dir, dirsize, "%s/dbhost-test-pg-XXXXXX", tmp);
  assert_non_null(mkdtemp(dir));
  struct sockaddr_un sa = {.sun_family = AF_UNIX};
  int n = snprintf(sa.sun_path, sizeof sa.sun_path, "%.*s/.s.PGSQL.5432",
                   (int)(sizeof sa.sun_path - sizeof "/.s.PGSQL.5432"), dir);
  assert_true(n > 0 && (size_t)n < sizeof sa.sun_path);
  int fd = socket(AF_UNIX, SOCK_STREAM, 0);
  assert_true(fd >= 0);
  assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof sa), 0);
  assert_int_equal(listen(fd, 4), 0);
  return fd;
}

static void silent_server_end(int fd, const char *dir) {
  char path[300];
  close(fd);
  snprintf(path, sizeof path, "%s/.s.PGSQL.5432", dir);
  unlink(path);
  rmdir(dir);
}

/* opts.timeout bounds connecting; Ctrl-C stops a connect that hangs. */
static void test_connect_timeout_and_interrupt(void **state) {
  lua_State *L = *state;
  char dir[256];
  int fd = silent_server(dir, sizeof dir);
  lua_pushfstring(L, "postgresql://alice:s3cr3t@/db?host=%s", dir);
  lua_setglobal(L, "SILENT");
  double t0 = wall_seconds();
  run(L, "return pg.connect(SILENT, { timeout = 0.3 })");
  double took = wall_seconds() - t0;
  assert_true(lua_isnil(L, 1));
  assert_string_equal(str_at(L, 3), "ETIMEDOUT");
  assert_null(strstr(str_at(L, 2), "s3cr3t"));
  assert_true(took >= 0.29 && took < 1.0);

  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_alarm;
  sigaction(SIGALRM, &sa, NULL);
  struct itimerval it = {.it_value = {.tv_sec = 0, .tv_usec = 200000}};
  setitimer(ITIMER_REAL, &it, NULL);
  t0 = wall_seconds();
  run_raises(L, "pg.connect(SILENT)");
  took = wall_seconds() - t0;
  signal(SIGALRM, SIG_DFL);
  assert_int_equal(lua_type(L, -1), LUA_TTABLE);
  lua_getfield(L, -1, "status");
  assert_int_equal(lua_tointeger(L, -1), 130);
  assert_true(took < 1.0);
  silent_server_end(fd, dir);
}

/* <close>, close(), gc: the backend goes away; a closed conn raises on use. */
static void test_close_and_gc(void **state) {
  lua_State *L = *state;
  run(L, "local watcher = assert(pg.connect(URL))\n"
         "local function gone(pid)\n"
         "  for _ = 1, 100 do\n"
         "    local r = assert(watcher:exec('select count(*) as n from pg_stat_activity where pid = $1', pid))\n"
         "    if r[1].n == '0' then return true end\n"
         "    watcher:exec('select pg_sleep(0.02)')\n"
         "  end\n"
         "  return false\n"
         "end\n"
         "local saved, pid1\n"
         "do\n"
         "  local c <close> = assert(pg.connect(URL))\n"
         "  saved, pid1 = c, c:backend_pid()\n"
         "end\n"
         "local closed_ok, closed_err = pcall(saved.exec, saved, 'select 1')\n"
         "local pid2\n"
         "do local c = assert(pg.connect(URL)); pid2 = c:backend_pid() end\n"
         "collectgarbage(); collectgarbage()\n"
         "local c3 = assert(pg.connect(URL)); local pid3 = c3:backend_pid()\n"
         "c3:close(); c3:close()\n"
         "return gone(pid1), closed_ok, closed_err, gone(pid2), gone(pid3), tostring(c3)");
  assert_true(lua_toboolean(L, 1));
  assert_false(lua_toboolean(L, 2));
  assert_non_null(strstr(str_at(L, 3), "closed"));
  assert_true(lua_toboolean(L, 4));
  assert_true(lua_toboolean(L, 5));
  assert_string_equal(str_at(L, 6), "dbhost.pg.conn (closed)");
}

/* pg.conninfo_parse is libpq's reading; conninfo_secrets and scrub hide passwords. */
static void test_conninfo_parse_and_scrub(void **state) {
  lua_State *L = *state;
  run(L, "local p = assert(pg.conninfo_parse('postgresql://u:p%40ss@h:5432/db?sslmode=disable'))\n"
         "assert(p.user == 'u' and p.password == 'p@ss' and p.host == 'h' and p.port == '5432', 'uri')\n"
         "assert(p.dbname == 'db' and p.sslmode == 'disable', 'uri params')\n"
         "p = assert(pg.conninfo_parse(\"host=h password = 'se cr\\\\'et' user=u\"))\n"
         "assert(p.password == \"se cr'et\", 'keywords: ' .. tostring(p.password))\n"
         "local ok, msg, code = pg.conninfo_parse(\"password='unterminated\")\n"
         "assert(ok == nil and code == 'EINVAL' and msg:find('unterminated'), 'unterminated')\n"
         "local s = pg.conninfo_secrets('postgres://u:p@ss-word@h/db')\n"
         "local set = {} for _, v in ipairs(s) do set[v] = true end\n"
         "assert(set['p@ss-word'] and set['ss-word'], 'pieces of an unencoded @')\n"
         "local out = pg.scrub('host \"ss-word@h\" and a \"p\"', s)\n"
         "assert(out == 'host \"xxxxx@h\" and a \"xxxxx\"', out)\n"
         "assert(pg.scrub('a b c', { 'b' }) == 'a b c', 'short secrets only as quoted tokens')\n");
}

/* idle -> intrans -> inerror -> idle */
static void test_transaction_status(void **state) {
  lua_State *L = *state;
  run(L, "local c = assert(pg.connect(URL))\n"
         "local s = { c:transaction_status() }\n"
         "assert(c:exec('begin')); s[#s + 1] = c:transaction_status()\n"
         "assert(not c:exec('select 1/0')); s[#s + 1] = c:transaction_status()\n"
         "local ok, e, code = c:exec('select 1')\n"
         "s[#s + 1] = code\n"
         "assert(c:exec('rollback')); s[#s + 1] = c:transaction_status()\n"
         "return table.concat(s, ' ')");
  assert_string_equal(str_at(L, 1), "idle intrans inerror 25P02 idle");
}

/* A backend terminated from elsewhere: the next exec fails cleanly, status is "bad". */
static void test_terminated_backend(void **state) {
  lua_State *L = *state;
  run(L, "local a = assert(pg.connect(URL))\n"
         "local b = assert(pg.connect(URL))\n"
         "assert(b:exec('select pg_terminate_backend($1)', a:backend_pid()))\n"
         "local ok, e, code = a:exec('select 1')\n"
         "local ok2, e2, code2 = a:exec('select 1')\n"
         "return ok == nil, code, a:status(), ok2 == nil, code2, type(e2.message)");
  assert_true(lua_toboolean(L, 1));
  assert_string_equal(str_at(L, 2), "57P01");
  assert_string_equal(str_at(L, 3), "bad");
  assert_true(lua_toboolean(L, 4));
  assert_string_equal(str_at(L, 5), "08006");
  assert_string_equal(str_at(L, 6), "string");
}

/* ping, escaping and the small accessors. */
static void test_misc(void **state) {
  lua_State *L = *state;
  run(L, "local c = assert(pg.connect(URL))\n"
         "return pg.ping(URL), pg.ping('host=/nonexistent-dbhost-socket-dir'),\n"
         "  c:escape_identifier('a\"b'), c:escape_literal(\"it's\"),\n"
         "  select(3, c:escape_literal('\\xff')), c:socket() >= 0, c:cancel()");
  assert_string_equal(str_at(L, 1), "ok");
  assert_string_equal(str_at(L, 2), "no_response");
  assert_string_equal(str_at(L, 3), "\"a\"\"b\"");
  assert_string_equal(str_at(L, 4), "'it''s'");
  assert_string_equal(str_at(L, 5), "22021");
  assert_true(lua_toboolean(L, 6));
  assert_true(lua_toboolean(L, 7));
}

int main(void) {
  const struct CMUnitTest tests[] = {
    cmocka_unit_test_setup_teardown(test_connect_forms, setup, teardown),
    cmocka_unit_test_setup_teardown(test_connect_failure_hides_password, setup, teardown),
    cmocka_unit_test_setup_teardown(test_parameters, setup, teardown),
    cmocka_unit_test_setup_teardown(test_multiple_statements, setup, teardown),
    cmocka_unit_test_setup_teardown(test_error_fields, setup, teardown),
    cmocka_unit_test_setup_teardown(test_notices, setup, teardown),
    cmocka_unit_test_setup_teardown(test_timeout_cancels, setup, teardown),
    cmocka_unit_test_setup_teardown(test_interrupt_cancels, setup, teardown),
    cmocka_unit_test_setup_teardown(test_connect_timeout_and_interrupt, setup, teardown),
    cmocka_unit_test_setup_teardown(test_close_and_gc, setup, teardown),
    cmocka_unit_test_setup_teardown(test_conninfo_parse_and_scrub, setup, teardown),
    cmocka_unit_test_setup_teardown(test_transaction_status, setup, teardown),
    cmocka_unit_test_setup_teardown(test_terminated_backend, setup, teardown),
    cmocka_unit_test_setup_teardown(test_misc, setup, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
