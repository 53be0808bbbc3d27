/*
** test_proc.c: dbhost.proc as Lua sees it, driven from C so that the test can
** also look at what Lua cannot: descriptors, signals, zombies, the
** interrupt flag, a parent that dies.
**
** Each Lua snippet receives the module as `...` ("local proc = ...").
*/
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <lua.h>
#include <lauxlib.h>
#include <lualib.h>

#include "common.h"

int luaopen_dbhost_proc(lua_State *L);

/* ------------------------------------------------------------- helpers */

static int setup(void **state) {
  lua_State *L = luaL_newstate();
  luaL_openlibs(L);
  luaL_requiref(L, "dbhost.proc", luaopen_dbhost_proc, 0);
  lua_pop(L, 1);
  *state = L;
  return 0;
}

static int teardown(void **state) {
  lua_close((lua_State *)*state);
  return 0;
}

/* Load a chunk and push the module as its argument. */
static void load(lua_State *L, const char *code) {
  lua_settop(L, 0);
  if (luaL_loadstring(L, code) != LUA_OK)
    fail_msg("bad test chunk: %s", lua_tostring(L, -1));
  luaL_getsubtable(L, LUA_REGISTRYINDEX, LUA_LOADED_TABLE);
  lua_getfield(L, -1, "dbhost.proc");
  lua_remove(L, -2);
}

/* Run a chunk; its results are left on the stack (count returned). */
static int eval(lua_State *L, const char *code) {
  load(L, code);
  if (lua_pcall(L, 1, LUA_MULTRET, 0) != LUA_OK)
    fail_msg("lua error: %s", luaL_tolstring(L, -1, NULL));
  return lua_gettop(L);
}

/* Run a chunk that must raise; leaves the error object at the top. */
static void eval_error(lua_State *L, const char *code) {
  load(L, code);
  if (lua_pcall(L, 1, 0, 0) == LUA_OK)
    fail_msg("expected an error from: %s", code);
}

static void assert_error_has(lua_State *L, const char *code, const char *needle) {
  eval_error(L, code);
  const char *msg = lua_tostring(L, -1);
  assert_non_null(msg);
  if (!strstr(msg, needle))
    fail_msg("error '%s' does not mention '%s'", msg, needle);
}

static int field_isnil(lua_State *L, int t, const char *k) {
  lua_getfield(L, t, k);
  int r = lua_isnil(L, -1);
  lua_pop(L, 1);
  return r;
}

static lua_Integer field_int(lua_State *L, int t, const char *k) {
  lua_getfield(L, t, k);
  if (!lua_isinteger(L, -1))
    fail_msg("field %s is not an integer (%s)", k, luaL_typename(L, -1));
  lua_Integer v = lua_tointeger(L, -1);
  lua_pop(L, 1);
  return v;
}

static double field_num(lua_State *L, int t, const char *k) {
  lua_getfield(L, t, k);
  assert_true(lua_isnumber(L, -1));
  double v = lua_tonumber(L, -1);
  lua_pop(L, 1);
  return v;
}

static int field_bool(lua_State *L, int t, const char *k) {
  lua_getfield(L, t, k);
  assert_true(lua_isboolean(L, -1));
  int v = lua_toboolean(L, -1);
  lua_pop(L, 1);
  return v;
}

/* The string field; stays valid while the table is on the stack. */
static const char *field_str(lua_State *L, int t, const char *k) {
  lua_getfield(L, t, k);
  if (lua_type(L, -1) != LUA_TSTRING)
    fail_msg("field %s is not a string (%s)", k, luaL_typename(L, -1));
  const char *s = lua_tostring(L, -1);
  lua_pop(L, 1);
  return s;
}

/* Assert the stack holds nil, msg, code with the given code (and message). */
static void assert_fail(lua_State *L, const char *code, const char *msg) {
  assert_int_equal(lua_gettop(L), 3);
  assert_true(lua_isnil(L, 1));
  assert_string_equal(lua_tostring(L, 3), code);
  if (msg)
    assert_string_equal(lua_tostring(L, 2), msg);
}

/* Gone: no such process, or a zombie nobody reaps (PID 1 may not). */
static int pid_gone(pid_t pid) {
  if (kill(pid, 0) != 0 && errno == ESRCH)
    return 1;
  char path[64], buf[512];
  snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
  FILE *f = fopen(path, "r");
  if (!f)
    return 1;
  size_t n = fread(buf, 1, sizeof buf - 1, f);
  fclose(f);
  buf[n] = '\0';
  const char *p = strrchr(buf, ')');
  return p && p[1] == ' ' && (p[2] == 'Z' || p[2] == 'X');
}

/* Wait up to `secs` for pid to be gone. */
static int wait_gone(pid_t pid, double secs) {
  for (int i = 0; i < (int)(secs * 100); i++) {
    if (pid_gone(pid))
      return 1;
    usleep(10000);
  }
  return pid_gone(pid);
}

static int count_fds(void) {
  DIR *d = opendir("/proc/self/fd");
  assert_non_null(d);
  int n = 0;
  struct dirent *e;
  while ((e = readdir(d)))
    if (e->d_name[0] != '.')
      n++;
  closedir(d);
  return n - 1;  /* the directory's own descriptor */
}

/* A fresh temporary directory (path in buf). */
static void make_tmpdir(char *buf, size_t size) {
  const char *tmp = getenv("TMPDIR");
  snprintf(buf, size, "%s/test_proc-XXXXXX", tmp && *tmp ? tmp : "/tmp");
  assert_non_null(mkdtemp(buf));
}

static void write_file(const char *path, const char *text, mode_t mode) {
  int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode);
  assert_true(fd >= 0);
  assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
  close(fd);
  assert_int_equal(chmod(path, mode), 0);
}

static char *read_file(const char *path) {
  static char buf[4096];
  int fd = open(path, O_RDONLY);
  if (fd < 0)
    return NULL;
  ssize_t n = read(fd, buf, sizeof buf - 1);
  close(fd);
  buf[n < 0 ? 0 : n] = '\0';
  return buf;
}

static void rm_rf(const char *dir) {
  char cmd[600];
  /* test cleanup only; the code under test never uses a shell */
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
  assert_int_equal(system(cmd), 0);
}

/* ------------------------------------------------------------------ run */

static void test_echo(void **state) {
  lua_State *L = *state;
  eval(L, "local proc = ... return proc.run{ argv = { 'echo', 'hello', 42, 1.5 } }");
  assert_int_equal(field_int(L, 1, "status"), 0);
  assert_true(field_isnil(L, 1, "signal"));
  assert_string_equal(field_str(L, 1, "stdout"), "hello 42 1.5\n");
  assert_string_equal(field_str(L, 1, "stderr"), "");
  assert_false(field_bool(L, 1, "timed_out"));
  double el = field_num(L, 1, "elapsed");
  assert_true(el >= 0 && el < 5);
}

static void test_exit_status_and_stderr(void **state) {
  lua_State *L = *state;
  eval(L, "local proc = ... return proc.run{ argv = { 'sh', '-c', 'echo oops >&2; exit 3' } }");
  assert_int_equal(field_int(L, 1, "status"), 3);
  assert_string_equal(field_str(L, 1, "stderr"), "oops\n");
  assert_string_equal(field_str(L, 1, "stdout"), "");
}

static void test_signal_death(void **state) {
  lua_State *L = *state;
  eval(L, "local proc = ... return proc.run{ argv = { 'sh', '-c', 'kill -KILL $$' } }");
  assert_true(field_isnil(L, 1, "status"));
  assert_int_equal(field_int(L, 1, "signal"), SIGKILL);
}

/* exec failure is a failure triple; a program exiting 127 is a result. */
static void test_exec_failure_vs_exit_127(void **state) {
  lua_State *L = *state;
  eval(L, "local proc = ... return proc.run{ argv = { 'dbhost-no-such-program' } }");
  assert_fail(L, "ENOENT", "dbhost-no-such-program: No such file or directory");
  eval(L, "local proc = ... return proc.run{ argv = { '/nonexistent/prog', 'x' } }");
  assert_fail(L, "ENOENT", "/nonexistent/prog: No such file or directory");
  eval(L, "local proc = ... return proc.run{ argv = { 'sh', '-c', 'exit 127' } }");
  assert_int_equal(lua_gettop(L), 1);
  assert_int_equal(field_int(L, 1, "status"), 127);

  char dir[256], path[300], code[600];
  make_tmpdir(dir, sizeof dir);
  snprintf(path, sizeof path, "%s/not-executable", dir);
  write_file(path, "#!/bin/sh\necho no\n", 0644);
  snprintf(code, sizeof code, "local proc = ... return proc.run{ argv = { '%s' } }", path);
  eval(L, code);
  assert_fail(L, "EACCES", NULL);
  /* a file that is not a program is not handed to a shell */
  write_file(path, "echo no\n", 0755);
  eval(L, code);
  assert_fail(L, "ENOEXEC", NULL);
  rm_rf(dir);
}

static void test_stdin_round_trip_2mb(void **state) {
  lua_State *L = *state;
  eval(L,
       "local proc = ...\n"
       "local parts = {}\n"
       "for i = 1, 2 * 1024 * 1024 / 16 do parts[i] = string.format('%015d\\n', i) end\n"
       "local data = table.concat(parts)\n"
       "local r = assert(proc.run{ argv = { 'cat' }, stdin = data })\n"
       "return r.status, #r.stdout, r.stdout == data, #data");
  assert_int_equal(lua_tointeger(L, 1), 0);
  assert_int_equal(lua_tointeger(L, 2), 2 * 1024 * 1024);
  assert_true(lua_toboolean(L, 3));
}

/* >1 MB in, out and err at the same time: tee copies stdin to both. */
static void test_big_output_both_streams(void **state) {
  lua_State *L = *state;
  eval(L,
       "local proc = ...\n"
       "local data = string.rep('abcdefghij', 150000)\n"
       "local r = assert(proc.run{ argv = { 'tee', '/dev/stderr' }, stdin = data, timeout = 20 })\n"
       "return r.status, r.stdout == data, r.stderr == data, #r.stdout, #r.stderr");
  assert_int_equal(lua_tointeger(L, 1), 0);
  assert_int_equal(lua_tointeger(L, 4), 1500000);
  assert_int_equal(lua_tointeger(L, 5), 1500000);
  assert_true(lua_toboolean(L, 2));
  assert_true(lua_toboolean(L, 3));
  /* stderr first, then stdout: a reader of one stream at a time deadlocks */
  eval(L,
       "local proc = ...\n"
       "local r = assert(proc.run{ argv = { 'sh', '-c',\n"
       "  'head -c 1200000 /dev/zero | tr \"\\\\0\" e >&2; head -c 1100000 /dev/zero | tr \"\\\\0\" o' },\n"
       "  timeout = 20 })\n"
       "return r.status, r.stderr == string.rep('e', 1200000), r.stdout == string.rep('o', 1100000)");
  assert_int_equal(lua_tointeger(L, 1), 0);
  assert_true(lua_toboolean(L, 2));
  assert_true(lua_toboolean(L, 3));
}

/* A child that stops reading stdin: no SIGPIPE kills us, the rest is dropped. */
static void test_child_ignores_stdin(void **state) {
  lua_State *L = *state;
  eval(L,
       "local proc = ...\n"
       "return proc.run{ argv = { 'head', '-c', '10' }, stdin = string.rep('x', 3000000) }");
  assert_int_equal(field_int(L, 1, "status"), 0);
  assert_string_equal(field_str(L, 1, "stdout"), "xxxxxxxxxx");
  sigset_t pending;
  sigpending(&pending);
  assert_false(sigismember(&pending, SIGPIPE));
  eval(L, "local proc = ... return proc.run{ argv = { 'true' }, stdin = '' }");
  assert_int_equal(field_int(L, 1, "status"), 0);
}

/* run returns when the program exits, even if a background child it left
** holds the output pipes open (regression: the drain waited for EOF). */
static void test_background_child_does_not_block(void **state) {
  lua_State *L = *state;
  eval(L, "local proc = ... return proc.run{ argv = { 'sh', '-c', 'echo $!; echo a; sleep 3 & echo $!' } }");
  assert_int_equal(field_int(L, 1, "status"), 0);
  assert_true(field_num(L, 1, "elapsed") < 1.0);
  int bg = 0;
  assert_int_equal(sscanf(field_str(L, 1, "stdout"), "\na\n%d", &bg), 1);
  assert_false(pid_gone(bg));  /* left running: not ours to stop */
  kill(bg, SIGKILL);
}

/* The timeout stops the whole group: the shell and its background sleep. */
static void test_timeout_kills_group(void **state) {
  lua_State *L = *state;
  eval(L,
       "local proc = ...\n"
       "return proc.run{ argv = { 'sh', '-c', 'echo $$; sleep 30 & echo $!; sleep 30; wait' },\n"
       "                 timeout = 0.3 }");
  assert_true(field_bool(L, 1, "timed_out"));
  assert_true(field_isnil(L, 1, "status"));
  lua_Integer sig = field_int(L, 1, "signal");
  assert_true(sig == SIGTERM || sig == SIGKILL);
  double el = field_num(L, 1, "elapsed");
  assert_true(el >= 0.3 && el < 1.5);
  int shell = 0, grandchild = 0;
  assert_int_equal(sscanf(field_str(L, 1, "stdout"), "%d %d", &shell, &grandchild), 2);
  assert_true(pid_gone(shell));
  assert_true(wait_gone(grandchild, 0.5));
}

/* The group gets SIGTERM first: a grandchild may shut down cleanly. The child
   waits until the grandchild has set its trap (a loaded machine may take long to
   start it), so the timeout always meets a grandchild that can clean up; the
   grandchild blocks in the `read` builtin (no fork in its loop that a signal could
   meet half-way). */
static void test_timeout_terms_grandchildren(void **state) {
  lua_State *L = *state;
  char dir[256], code[1600], path[300], ready[310], fifo[310];
  make_tmpdir(dir, sizeof dir);
  snprintf(path, sizeof path, "%s/term", dir);
  snprintf(ready, sizeof ready, "%s/ready", dir);
  snprintf(fifo, sizeof fifo, "%s/fifo", dir);
  assert_int_equal(mkfifo(fifo, 0600), 0);
  snprintf(code, sizeof code,
           "local proc = ...\n"
           "return proc.run{ argv = { 'sh', '-c', [[\n"
           "  sh -c 'trap \"echo clean > %s; exit 0\" TERM; exec 3<>%s; : > %s; read x <&3' &\n"
           "  while [ ! -e %s ]; do sleep 0.01; done\n"
           "  wait]] }, timeout = 2.0, grace = 10 }",
           path, fifo, ready, ready);
  eval(L, code);
  assert_true(field_bool(L, 1, "timed_out"));
  const char *armed = read_file(ready);
  assert_non_null(armed);  /* the grandchild had set its trap before the timeout */
  /* run returns when the group is gone or the grace ran out: the trap has run */
  const char *text = NULL;
  for (int i = 0; i < 500 && (!(text = read_file(path)) || !*text); i++)
    usleep(10000);
  assert_non_null(text);
  assert_string_equal(text, "clean\n");
  rm_rf(dir);
}

/* A child that ignores SIGTERM gets SIGKILL after the grace period. */
static void test_timeout_escalates_to_kill(void **state) {
  lua_State *L = *state;
  eval(L,
       "local proc = ...\n"
       "return proc.run{ argv = { 'sh', '-c', 'trap \"\" TERM; echo ready; while :; do sleep 0.05; done' },\n"
       "                 timeout = 0.5 }");
  assert_true(field_bool(L, 1, "timed_out"));
  assert_int_equal(field_int(L, 1, "signal"), SIGKILL);
  double el = field_num(L, 1, "elapsed");
  assert_true(el >= 0.95 && el < 2.0);
}

static void test_env_replacement(void **state) {
  lua_State *L = *state;
  eval(L,
       "local proc = ...\n"
       "return proc.run{ argv = { 'env' }, env = { PATH = '/usr/bin:/bin', FOO = 'bar', N = 5 } }");
  assert_int_equal(field_int(L, 1, "status"), 0);
  assert_string_equal(field_str(L, 1, "stdout"), "FOO=bar\nN=5\nPATH=/usr/bin:/bin\n");
  /* an empty environment: PATH falls back to /bin:/usr/bin */
  eval(L, "local proc = ... return proc.run{ argv = { 'env' }, env = {} }");
  assert_string_equal(field_str(L, 1, "stdout"), "");
}

static void test_env_add(void **state) {
  lua_State *L = *state;
  setenv("DBH_TEST_INHERITED", "yes", 1);
  setenv("DBH_TEST_REMOVED", "x", 1);
  setenv("DBH_TEST_REPLACED", "old", 1);
  eval(L,
       "local proc = ...\n"
       "return proc.run{ argv = { 'env' }, env_add = { DBH_ADDED = 'a b', DBH_TEST_REMOVED = false,\n"
       "                                            DBH_TEST_REPLACED = 'new' } }");
  const char *out = field_str(L, 1, "stdout");
  assert_non_null(strstr(out, "\nDBH_TEST_INHERITED=yes\n"));
  assert_non_null(strstr(out, "\nDBH_ADDED=a b\n"));
  assert_non_null(strstr(out, "\nDBH_TEST_REPLACED=new\n"));
  assert_null(strstr(out, "DBH_TEST_REPLACED=old"));
  assert_null(strstr(out, "DBH_TEST_REMOVED"));
  assert_non_null(strstr(out, "\nPATH="));
  /* env_add on top of env */
  eval(L, "local proc = ... return proc.run{ argv = { 'env' }, env = { A = '1' }, env_add = { B = '2' } }");
  assert_string_equal(field_str(L, 1, "stdout"), "A=1\nB=2\n");
  unsetenv("DBH_TEST_INHERITED");
  unsetenv("DBH_TEST_REMOVED");
  unsetenv("DBH_TEST_REPLACED");
}

/* The program is looked up in the child's PATH, not ours. */
static void test_path_lookup_uses_child_env(void **state) {
  lua_State *L = *state;
  char dir[256], path[300], code[800];
  make_tmpdir(dir, sizeof dir);
  snprintf(path, sizeof path, "%s/dbh-hello", dir);
  write_file(path, "#!/bin/sh\necho hi \"$1\"\n", 0755);
  snprintf(code, sizeof code,
           "local proc = ...\n"
           "local r = proc.run{ argv = { 'dbh-hello', 'there' }, env = { PATH = '/nonexistent:%s' } }\n"
           "return r.stdout, proc.which('dbh-hello', '%s'), proc.which('dbh-hello', '/nonexistent')",
           dir, dir);
  eval(L, code);
  assert_string_equal(lua_tostring(L, 1), "hi there\n");
  assert_string_equal(lua_tostring(L, 2), path);
  assert_true(lua_isnil(L, 3));
  eval(L, "local proc = ... return proc.run{ argv = { 'dbh-hello' } }");
  assert_fail(L, "ENOENT", "dbh-hello: No such file or directory");
  rm_rf(dir);
}

static void test_cwd(void **state) {
  lua_State *L = *state;
  char dir[256], real[PATH_MAX], code[600];
  make_tmpdir(dir, sizeof dir);
  assert_non_null(realpath(dir, real));
  snprintf(code, sizeof code, "local proc = ... return proc.run{ argv = { 'pwd', '-P' }, cwd = '%s' }", dir);
  eval(L, code);
  char want[PATH_MAX + 2];
  snprintf(want, sizeof want, "%s\n", real);
  assert_string_equal(field_str(L, 1, "stdout"), want);
  rm_rf(dir);
  eval(L, code);  /* now missing */
  assert_fail(L, "ENOENT", NULL);
  assert_non_null(strstr(lua_tostring(L, 2), "cwd "));
}

/* stdout/stderr to a path (appended) or nowhere. */
static void test_output_redirects(void **state) {
  lua_State *L = *state;
  char dir[256], code[900];
  make_tmpdir(dir, sizeof dir);
  snprintf(code, sizeof code,
           "local proc = ...\n"
           "local log = '%s/log'\n"
           "for i = 1, 2 do\n"
           "  local r = assert(proc.run{ argv = { 'sh', '-c', 'echo out; echo err >&2' },\n"
           "                             stdout = log, stderr = log })\n"
           "  assert(r.status == 0 and r.stdout == nil and r.stderr == nil)\n"
           "end\n"
           "local r = assert(proc.run{ argv = { 'sh', '-c', 'echo out; echo err >&2' }, stdout = 'null' })\n"
           "local f = assert(io.open(log)) local text = f:read('a') f:close()\n"
           "return text, r.stdout, r.stderr",
           dir);
  eval(L, code);
  assert_string_equal(lua_tostring(L, 1), "out\nerr\nout\nerr\n");
  assert_true(lua_isnil(L, 2));
  assert_string_equal(lua_tostring(L, 3), "err\n");
  snprintf(code, sizeof code,
           "local proc = ... return proc.run{ argv = { 'true' }, stdout = '%s/missing/log' }", dir);
  eval(L, code);
  assert_fail(L, "ENOENT", NULL);
  rm_rf(dir);
}

/* Run the user checks in a child that dropped root, to cover the EPERM path. */
static int unprivileged_checks(lua_State *L) {
  if (setgroups(0, NULL) != 0 || setgid(65534) != 0 || setuid(65534) != 0)
    return 10;
  load(L,
       "local proc = ...\n"
       "local r, msg, code = proc.run{ argv = { 'id', '-u' }, user = 'root' }\n"
       "if r ~= nil or code ~= 'EPERM' or not msg:find('not running as root') then return 11 end\n"
       "r, msg, code = proc.spawn{ argv = { 'id', '-u' }, user = 0 }\n"
       "if r ~= nil or code ~= 'EPERM' then return 12 end\n"
       "r = proc.run{ argv = { 'id', '-u' }, user = 65534 }\n"  /* ourselves: fine */
       "if not r or r.stdout ~= '65534\\n' then return 13 end\n"
       /* a PATH directory we may not search: "not found", not EACCES */
       "local path = os.getenv('DBH_TEST_PRIVATE_DIR') .. ':/usr/bin:/bin'\n"
       "r, msg, code = proc.run{ argv = { 'dbhost-no-such-program' }, env = { PATH = path } }\n"
       "if r ~= nil or code ~= 'ENOENT' then return 15 end\n"
       "r = proc.run{ argv = { 'id', '-u' }, env = { PATH = path } }\n"
       "if not r or r.stdout ~= '65534\\n' then return 16 end\n"
       "return 0");
  if (lua_pcall(L, 1, 1, 0) != LUA_OK)
    return 14;
  return (int)lua_tointeger(L, -1);
}

/* In a child: take extra groups as root, then run `id -G` as nobody. */
static int supplementary_groups_dropped(lua_State *L) {
  gid_t extra[2] = {0, 4242};
  if (setgroups(2, extra) != 0)
    return 20;
  load(L,
       "local proc = ...\n"
       "local u = assert(proc.user('nobody'))\n"
       "local r = assert(proc.run{ argv = { 'id', '-G' }, user = 'nobody' })\n"
       "return r.stdout == u.gid .. '\\n' and 0 or 21");
  if (lua_pcall(L, 1, 1, 0) != LUA_OK)
    return 22;
  return (int)lua_tointeger(L, -1);
}

static void test_user_nobody(void **state) {
  lua_State *L = *state;
  if (geteuid() != 0) {
    eval(L, "local proc = ... return proc.run{ argv = { 'id', '-u' }, user = 'root' }");
    assert_fail(L, "EPERM", NULL);
    return;
  }
  eval(L,
       "local proc = ...\n"
       "local u = assert(proc.user('nobody'))\n"
       "local a = assert(proc.run{ argv = { 'id', '-u' }, user = 'nobody' })\n"
       "local b = assert(proc.run{ argv = { 'id', '-G' }, user = u.uid })\n"
       "local c = assert(proc.run{ argv = { 'sh', '-c', 'echo $HOME:$USER:$LOGNAME' }, user = 'nobody' })\n"
       "return a.stdout, b.stdout, c.stdout, u.home, u.gid");
  assert_string_equal(lua_tostring(L, 1), "65534\n");
  /* root's supplementary groups are dropped: only nobody's */
  char groups[64];
  snprintf(groups, sizeof groups, "%d\n", (int)lua_tointeger(L, 5));
  assert_string_equal(lua_tostring(L, 2), groups);
  char env[512];
  snprintf(env, sizeof env, "%s:nobody:nobody\n", lua_tostring(L, 4));
  assert_string_equal(lua_tostring(L, 3), env);
  eval(L, "local proc = ... return proc.run{ argv = { 'id' }, user = 'dbhost-no-such-user' }");
  assert_fail(L, "ENOENT", "user 'dbhost-no-such-user': no such user");

  char private_dir[256];
  make_tmpdir(private_dir, sizeof private_dir);  /* 0700, root's */
  setenv("DBH_TEST_PRIVATE_DIR", private_dir, 1);
  pid_t pid = fork();
  assert_true(pid >= 0);
  if (pid == 0)
    _exit(unprivileged_checks(L));
  int st;
  assert_int_equal(waitpid(pid, &st, 0), pid);
  unsetenv("DBH_TEST_PRIVATE_DIR");
  rm_rf(private_dir);
  assert_true(WIFEXITED(st));
  assert_int_equal(WEXITSTATUS(st), 0);

  /* a root with supplementary groups: the child must not keep them */
  pid = fork();
  assert_true(pid >= 0);
  if (pid == 0)
    _exit(supplementary_groups_dropped(L));
  assert_int_equal(waitpid(pid, &st, 0), pid);
  assert_true(WIFEXITED(st));
  assert_int_equal(WEXITSTATUS(st), 0);
}

/* ---------------------------------------------------------------- spawn */

static void test_spawn_wait_kill(void **state) {
  lua_State *L = *state;
  eval(L,
       "local proc = ...\n"
       "local p = assert(proc.spawn{ argv = { 'sleep', '30' } })\n"
       "local t = {}\n"
       "t.pid_ok = p:pid() > 0 and proc.alive(p:pid())\n"
       "t.running = p:running()\n"
       "t.w1, t.w2, t.w3 = p:wait(0.1)\n"
       "t.kill = p:kill()\n"
       "t.status, t.signal = p:wait(5)\n"
       "t.after = p:running()\n"
       "t.k1, t.k2, t.k3 = p:kill('KILL')\n"
       "t.again1, t.again2 = p:wait()\n"
       "p:close() p:close()\n"
       "t.closed = select(2, pcall(p.pid, p))\n"
       "return t");
  assert_true(field_bool(L, 1, "pid_ok"));
  assert_true(field_bool(L, 1, "running"));
  assert_true(field_isnil(L, 1, "w1"));
  assert_string_equal(field_str(L, 1, "w2"), "timeout");
  assert_string_equal(field_str(L, 1, "w3"), "ETIMEDOUT");
  assert_true(field_bool(L, 1, "kill"));
  assert_false(field_bool(L, 1, "status"));
  assert_int_equal(field_int(L, 1, "signal"), SIGTERM);
  assert_false(field_bool(L, 1, "after"));
  assert_string_equal(field_str(L, 1, "k3"), "ESRCH");
  assert_false(field_bool(L, 1, "again1"));
  assert_int_equal(field_int(L, 1, "again2"), SIGTERM);
  assert_non_null(strstr(field_str(L, 1, "closed"), "closed process"));
}

static void test_spawn_exit_status_and_log(void **state) {
  lua_State *L = *state;
  char dir[256], code[900];
  make_tmpdir(dir, sizeof dir);
  snprintf(code, sizeof code,
           "local proc = ...\n"
           "local log = '%s/server.log'\n"
           "for i = 1, 2 do\n"
           "  local p <close> = assert(proc.spawn{ argv = { 'sh', '-c', 'echo line; echo warn >&2; exit 4' },\n"
           "                                       stdout = log, stderr = log })\n"
           "  local st, sig = p:wait(5)\n"
           "  assert(st == 4 and sig == nil, tostring(st))\n"
           "end\n"
           "local f = assert(io.open(log)) local text = f:read('a') f:close()\n"
           "return text",
           dir);
  eval(L, code);
  assert_string_equal(lua_tostring(L, 1), "line\nwarn\nline\nwarn\n");
  rm_rf(dir);
  eval(L, "local proc = ... return proc.spawn{ argv = { 'dbhost-no-such-program' } }");
  assert_fail(L, "ENOENT", "dbhost-no-such-program: No such file or directory");
}

/* p:kill() reaches the whole group. */
static void test_spawn_kill_group(void **state) {
  lua_State *L = *state;
  char dir[256], code[900];
  make_tmpdir(dir, sizeof dir);
  snprintf(code, sizeof code,
           "local proc = ...\n"
           "local file = '%s/pid'\n"
           "local p = assert(proc.spawn{ argv = { 'sh', '-c', 'sleep 30 & echo $! > ' .. file .. '.tmp;"
           " mv ' .. file .. '.tmp ' .. file .. '; wait' } })\n"
           "local pid\n"
           "for _ = 1, 500 do\n"
           "  local f = io.open(file) if f then pid = tonumber(f:read('a')) f:close() end\n"
           "  if pid then break end\n"
           "  proc.sleep(0.01)\n"
           "end\n"
           "assert(pid, 'no pid file')\n"
           "assert(p:kill('KILL'))\n"
           "local st, sig = p:wait(5)\n"
           "p:close()\n"
           "return pid, st, sig",
           dir);
  eval(L, code);
  pid_t grandchild = (pid_t)lua_tointeger(L, 1);
  assert_false(lua_toboolean(L, 2));
  assert_int_equal(lua_tointeger(L, 3), SIGKILL);
  assert_true(wait_gone(grandchild, 1.0));
  rm_rf(dir);
}

/* Closing (or collecting) a handle leaves the child running. */
static void test_spawn_close_keeps_child(void **state) {
  lua_State *L = *state;
  eval(L,
       "local proc = ...\n"
       "local p = assert(proc.spawn{ argv = { 'sleep', '30' } })\n"
       "local pid = p:pid()\n"
       "p:close()\n"
       "local q = assert(proc.spawn{ argv = { 'sleep', '30' } })\n"
       "local qpid = q:pid()\n"
       "q = nil collectgarbage() collectgarbage()\n"
       "return pid, qpid, proc.alive(pid), proc.alive(qpid)");
  pid_t pid = (pid_t)lua_tointeger(L, 1), qpid = (pid_t)lua_tointeger(L, 2);
  assert_true(lua_toboolean(L, 3));
  assert_true(lua_toboolean(L, 4));
  assert_false(pid_gone(pid));
  assert_false(pid_gone(qpid));
  assert_int_equal(kill(pid, SIGKILL), 0);
  assert_int_equal(kill(qpid, SIGKILL), 0);
  assert_int_equal(waitpid(pid, NULL, 0), pid);
  assert_int_equal(waitpid(qpid, NULL, 0), qpid);
}

/* death_signal: the child goes when the process that spawned it dies. */
static void test_spawn_death_signal(void **state) {
  lua_State *L = *state;
  int p[2];
  assert_int_equal(pipe(p), 0);
  pid_t mid = fork();
  assert_true(mid >= 0);
  if (mid == 0) {
    close(p[0]);
    load(L,
         "local proc = ...\n"
         "return assert(proc.spawn{ argv = { 'sleep', '30' }, death_signal = 'KILL' }):pid()");
    int pid = lua_pcall(L, 1, 1, 0) == LUA_OK ? (int)lua_tointeger(L, -1) : -1;
    ssize_t w = write(p[1], &pid, sizeof pid);
    _exit(w == (ssize_t)sizeof pid ? 0 : 1);
  }
  close(p[1]);
  int child = 0;
  assert_int_equal(read(p[0], &child, sizeof child), (ssize_t)sizeof child);
  close(p[0]);
  assert_true(child > 0);
  assert_int_equal(waitpid(mid, NULL, 0), mid);
  assert_true(wait_gone(child, 2.0));
}

/* ------------------------------------------------------------ interrupts */

static void on_alarm(int sig) {
  (void)sig;
  dbh_interrupted = 1;
}

static void arm_interrupt(int ms) {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_alarm;
  sigaction(SIGALRM, &sa, NULL);
  struct itimerval it = {{0, 0}, {ms / 1000, (ms % 1000) * 1000}};
  setitimer(ITIMER_REAL, &it, NULL);
}

static void assert_interrupted_error(lua_State *L) {
  assert_true(lua_istable(L, -1));
  assert_int_equal(field_int(L, -1, "status"), 130);
  assert_string_equal(field_str(L, -1, "message"), "interrupted");
  assert_int_equal(dbh_interrupted, 0);
}

/* Ctrl-C during run: the group is stopped and reaped, then "interrupted" raises. */
static void test_interrupt_run(void **state) {
  lua_State *L = *state;
  char dir[256], code[900];
  make_tmpdir(dir, sizeof dir);
  snprintf(code, sizeof code,
           "local proc = ...\n"
           "proc.run{ argv = { 'sh', '-c', 'sleep 30 & echo $$ $! > %s/pids; wait' }, stdin = 'x' }",
           dir);
  int before = count_fds();
  struct timespec t0, t1;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  arm_interrupt(300);
  eval_error(L, code);
  clock_gettime(CLOCK_MONOTONIC, &t1);
  assert_interrupted_error(L);
  double el = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
  assert_true(el < 2.0);
  char path[300];
  snprintf(path, sizeof path, "%s/pids", dir);
  int shell = 0, grandchild = 0;
  assert_int_equal(sscanf(read_file(path), "%d %d", &shell, &grandchild), 2);
  assert_true(pid_gone(shell));
  assert_true(wait_gone(grandchild, 0.5));
  lua_settop(L, 0);
  lua_gc(L, LUA_GCCOLLECT);
  assert_int_equal(count_fds(), before);
  rm_rf(dir);
}

static void test_interrupt_sleep_and_wait(void **state) {
  lua_State *L = *state;
  arm_interrupt(150);
  eval_error(L, "local proc = ... proc.sleep(10) return 1");
  assert_interrupted_error(L);
  /* p:wait raises too, and leaves the child to its owner */
  arm_interrupt(150);
  eval(L, "local proc = ... P = assert(proc.spawn{ argv = { 'sleep', '30' } }) return P:pid()");
  pid_t pid = (pid_t)lua_tointeger(L, 1);
  eval_error(L, "local proc = ... P:wait()");
  assert_interrupted_error(L);
  assert_false(pid_gone(pid));
  eval(L, "local proc = ... assert(P:kill('KILL')) local a, b = P:wait(5) P = nil return a, b");
  assert_false(lua_toboolean(L, 1));
  assert_int_equal(lua_tointeger(L, 2), SIGKILL);
}

/* ------------------------------------------------------ resources, misuse */

/* Nothing leaks descriptors, and children get only 0, 1 and 2. */
static void test_no_fd_leaks(void **state) {
  lua_State *L = *state;
  int stray = open("/dev/null", O_RDONLY);  /* not close-on-exec on purpose */
  assert_true(stray >= 0);
  eval(L, "local proc = ... return proc.run{ argv = { 'ls', '/proc/self/fd' } }");
  /* ls's own directory descriptor is 3 */
  assert_string_equal(field_str(L, 1, "stdout"), "0\n1\n2\n3\n");
  close(stray);

  int before = count_fds();
  eval(L,
       "local proc = ...\n"
       "for i = 1, 5 do\n"
       "  assert(proc.run{ argv = { 'echo', i }, stdin = 'in' })\n"
       "  assert(not proc.run{ argv = { 'dbhost-no-such-program' }, stdin = 'in' })\n"
       "  assert(not proc.run{ argv = { 'true' }, cwd = '/nonexistent' })\n"
       "  assert(not proc.run{ argv = { 'true' }, stdout = '/nonexistent/x', stderr = 'null' })\n"
       "  assert(assert(proc.run{ argv = { 'sleep', '5' }, timeout = 0.05 }).timed_out)\n"
       "  local p = assert(proc.spawn{ argv = { 'true' }, stdout = 'null', stderr = 'inherit' })\n"
       "  assert(p:wait(5) == 0) p:close()\n"
       "  assert(not proc.spawn{ argv = { 'dbhost-no-such-program' } })\n"
       "  assert(not pcall(proc.run, { argv = { 'true' }, bogus = 1 }))\n"
       "end\n"
       "collectgarbage() collectgarbage()");
  assert_int_equal(count_fds(), before);
}

static void test_misuse_raises(void **state) {
  lua_State *L = *state;
  assert_error_has(L, "local proc = ... proc.run()", "table expected");
  assert_error_has(L, "local proc = ... proc.run{}", "argv must be a non-empty list");
  assert_error_has(L, "local proc = ... proc.run{ argv = {} }", "argv must be a non-empty list");
  assert_error_has(L, "local proc = ... proc.run{ argv = { 'a', {} } }", "argv[2]");
  assert_error_has(L, "local proc = ... proc.run{ argv = { 'a\\0b' } }", "argv[1]");
  assert_error_has(L, "local proc = ... proc.run{ argv = { '' } }", "argv[1] must not be empty");
  assert_error_has(L, "local proc = ... proc.run{ argv = { 'true' }, bogus = 1 }",
                   "unknown option 'bogus'");
  assert_error_has(L, "local proc = ... proc.run{ argv = { 'true' }, env = { ['A=B'] = 'x' } }",
                   "invalid variable name");
  assert_error_has(L, "local proc = ... proc.run{ argv = { 'true' }, env = { A = false } }",
                   "env.A must be a string");
  assert_error_has(L, "local proc = ... proc.run{ argv = { 'true' }, timeout = -1 }", "timeout");
  assert_error_has(L, "local proc = ... proc.run{ argv = { 'true' }, grace = -1 }", "grace");
  assert_error_has(L, "local proc = ... proc.spawn{ argv = { 'true' }, grace = 1 }", "unknown option 'grace'");
  assert_error_has(L, "local proc = ... proc.run{ argv = { 'true' }, stdin = 5 }", "stdin");
  assert_error_has(L, "local proc = ... proc.run{ argv = { 'true' }, user = {} }", "user");
  assert_error_has(L, "local proc = ... proc.run{ argv = { 'true' }, death_signal = 'NOPE' }",
                   "unknown signal 'NOPE'");
  assert_error_has(L, "local proc = ... proc.spawn{ argv = { 'true' }, stdout = 'capture' }",
                   "cannot capture");
  assert_error_has(L, "local proc = ... proc.spawn{ argv = { 'true' }, timeout = 1 }",
                   "unknown option 'timeout'");
  assert_error_has(L, "local proc = ... proc.spawn{ argv = { 'true' }, stdin = 'data' }", "stdin");
  assert_error_has(L, "local proc = ... proc.kill(0)", "pid must be a positive integer");
  assert_error_has(L, "local proc = ... proc.kill(1, 'BOGUS')", "unknown signal 'BOGUS'");
}

static void test_small_functions(void **state) {
  lua_State *L = *state;
  eval(L,
       "local proc = ...\n"
       "local t = {}\n"
       "t.pid, t.uid = proc.pid(), proc.uid()\n"
       "t.alive = proc.alive(proc.pid())\n"
       "t.root = proc.user('root').uid\n"
       "t.root_name = proc.user(0).name\n"
       "t.nouser1, t.nouser2, t.nouser3 = proc.user('dbhost-no-such-user')\n"
       "t.sh = proc.which('sh')\n"
       "t.abs = proc.which('/bin/sh')\n"
       "t.none1, t.none2, t.none3 = proc.which('dbhost-no-such-program')\n"
       "local t0 = proc.now() proc.sleep(0.05) t.slept = proc.now() - t0\n"
       "t.k1, t.k2, t.k3 = proc.kill(2147483000, 0)\n"
       "return t");
  assert_int_equal(field_int(L, 1, "pid"), getpid());
  assert_int_equal(field_int(L, 1, "uid"), geteuid());
  assert_true(field_bool(L, 1, "alive"));
  assert_int_equal(field_int(L, 1, "root"), 0);
  assert_string_equal(field_str(L, 1, "root_name"), "root");
  assert_true(field_isnil(L, 1, "nouser1"));
  assert_string_equal(field_str(L, 1, "nouser3"), "ENOENT");
  const char *sh = field_str(L, 1, "sh");
  assert_true(sh[0] == '/' && strcmp(sh + strlen(sh) - 3, "/sh") == 0);
  assert_string_equal(field_str(L, 1, "abs"), "/bin/sh");
  assert_true(field_isnil(L, 1, "none1"));
  assert_string_equal(field_str(L, 1, "none3"), "ENOENT");
  double slept = field_num(L, 1, "slept");
  assert_true(slept >= 0.049 && slept < 0.5);
  assert_string_equal(field_str(L, 1, "k3"), "ESRCH");
}

int main(void) {
  const struct CMUnitTest tests[] = {
    cmocka_unit_test_setup_teardown(test_echo, setup, teardown),
    cmocka_unit_test_setup_teardown(test_exit_status_and_stderr, setup, teardown),
    cmocka_unit_test_setup_teardown(test_signal_death, setup, teardown),
    cmocka_unit_test_setup_teardown(test_exec_failure_vs_exit_127, setup, teardown),
    cmocka_unit_test_setup_teardown(test_stdin_round_trip_2mb, setup, teardown),
    cmocka_unit_test_setup_teardown(test_big_output_both_streams, setup, teardown),
    cmocka_unit_test_setup_teardown(test_child_ignores_stdin, setup, teardown),
    cmocka_unit_test_setup_teardown(test_background_child_does_not_block, setup, teardown),
    cmocka_unit_test_setup_teardown(test_timeout_kills_group, setup, teardown),
    cmocka_unit_test_setup_teardown(test_timeout_terms_grandchildren, setup, teardown),
    cmocka_unit_test_setup_teardown(test_timeout_escalates_to_kill, setup, teardown),
    cmocka_unit_test_setup_teardown(test_env_replacement, setup, teardown),
    cmocka_unit_test_setup_teardown(test_env_add, setup, teardown),
    cmocka_unit_test_setup_teardown(test_path_lookup_uses_child_env, setup, teardown),
    cmocka_unit_test_setup_teardown(test_cwd, setup, teardown),
    cmocka_unit_test_setup_teardown(test_output_redirects, setup, teardown),
    cmocka_unit_test_setup_teardown(test_user_nobody, setup, teardown),
    cmocka_unit_test_setup_teardown(test_spawn_wait_kill, setup, teardown),
    cmocka_unit_test_setup_teardown(test_spawn_exit_status_and_log, setup, teardown),
    cmocka_unit_test_setup_teardown(test_spawn_kill_group, setup, teardown),
    cmocka_unit_test_setup_teardown(test_spawn_close_keeps_child, setup, teardown),
    cmocka_unit_test_setup_teardown(test_spawn_death_signal, setup, teardown),
    cmocka_unit_test_setup_teardown(test_interrupt_run, setup, teardown),
    cmocka_unit_test_setup_teardown(test_interrupt_sleep_and_wait, setup, teardown),
    cmocka_unit_test_setup_teardown(test_no_fd_leaks, setup, teardown),
    cmocka_unit_test_setup_teardown(test_misuse_raises, setup, teardown),
    cmocka_unit_test_setup_teardown(test_small_functions, setup, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
