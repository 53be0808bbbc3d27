/*
** proc.c: the dbhost.proc module, child processes run from argv lists.
**
** Programs are exec'd directly (never through /bin/sh), like luv's uv.spawn.
** Every child runs in its own process group, so a timeout, Ctrl-C or
** p:kill() reaches the programs it started too.
**
**   proc.run{ argv=, env=, env_add=, cwd=, stdin=, timeout=, user=,
**             stdout=, stderr=, death_signal= }
**       -> { status=, signal=, stdout=, stderr=, timed_out=, elapsed= }
**        | nil, msg, code
**   proc.spawn{ argv=, env=, env_add=, cwd=, user=, stdout=, stderr=,
**               stdin="null", death_signal= } -> process | nil, msg, code
**     p:pid() -> integer
**     p:wait([timeout]) -> status, nil | false, signal | nil, "timeout", "ETIMEDOUT"
**     p:running() -> boolean
**     p:kill([sig]) -> true | nil, msg, code     (to the process group)
**     p:close()                                  (does NOT kill the child)
**   proc.kill(pid [, sig]) -> true | nil, msg, code
**   proc.alive(pid) -> boolean
**   proc.pid() -> integer          proc.uid() -> integer (effective uid)
**   proc.user(name | uid) -> { name=, uid=, gid=, home=, shell= } | nil, msg, "ENOENT"
**   proc.which(name [, path]) -> path | nil, msg, "ENOENT"
**   proc.sleep(seconds)            proc.now() -> monotonic seconds
**   proc.setenv(name, value | nil) -> true | nil, msg, code
**     sets (nil: unsets) a variable of dbhost's own environment, which
**     os.getenv and inherited children see; libc's environment is not
**     thread-safe, so call it when no other thread runs (http.watchdog).
**
** Options:
**   argv      list of strings (numbers are converted); argv[1] without a
**             slash is looked up in the child's PATH (execvp rules, but never
**             a shell fallback for ENOEXEC, and a directory that cannot be
**             searched counts as not holding the program). Default PATH
**             "/bin:/usr/bin".
**   env       table: the child's whole environment; nil inherits ours.
**   env_add   table merged into env (or the inherited one); false unsets.
**   cwd       directory for the child (entered after the user switch).
**   stdin     run: string written to the child, nil = /dev/null;
**             spawn: nil or "null".
**   stdout, stderr  "capture" (run's default) | "inherit" | "null"
**             (spawn's default) | a path, opened by the caller (relative to
**             the caller's cwd) for appending, created 0644 (umask applies);
**             a symbolic link there is refused (ELOOP).
**   timeout   run only: seconds; then the group gets SIGTERM, SIGKILL `grace`
**             seconds later, and the result has timed_out = true.
**   grace     run only: seconds between that SIGTERM and SIGKILL (default 0.5).
**   user      name or uid. When dbhost runs as root: the child calls
**             setgroups (the user's groups), setgid, setuid, and gets HOME,
**             USER and LOGNAME. Not root: "EPERM" unless it is ourselves.
**   death_signal  Linux: signal the child gets when dbhost dies.
**
** Failure codes: errno names; an exec failure is reported by the child
** through a close-on-exec pipe ("prog: No such file or directory", "ENOENT"),
** so it is never confused with a program that exits 127.
**
** run returns when the program has exited: output that processes it left
** in the background write afterwards is not collected (they keep running).
** A process handle does not own the child's life: close and garbage
** collection neither kill nor wait (a server may outlive its handle); a
** child that exits unreaped stays a zombie until dbhost exits.
*/
#define _GNU_SOURCE  /* pipe2, F_GETPIPE_SZ */
#include "common.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <math.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#ifdef __linux__
#include <linux/close_range.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#endif

extern char **environ;

#define PROCESS_CLASS "dbhost.proc.process"
#define JOB_CLASS "dbhost.proc.job"
#define TICK_MS 50          /* blocking loops look at dbh_interrupted this often */
#define KILL_GRACE 0.5      /* seconds between SIGTERM and SIGKILL */
#define IO_CHUNK 65536
#define DEFAULT_PATH "/bin:/usr/bin"

/* ------------------------------------------------------------ time, signals */

static double mono_now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Milliseconds from now until t, rounded up, at most cap (0 if past). */
static int ms_until(double t, double now, int cap) {
  if (t <= now)
    return 0;
  double ms = ceil((t - now) * 1000.0);
  return ms < cap ? (int)ms : cap;
}

static void sleep_ms(int ms) {
  struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
  nanosleep(&ts, NULL);
}

static const struct {
  const char *name;
  int sig;
} signal_names[] = {
  {"HUP", SIGHUP}, {"INT", SIGINT}, {"QUIT", SIGQUIT}, {"KILL", SIGKILL},
  {"USR1", SIGUSR1}, {"USR2", SIGUSR2}, {"TERM", SIGTERM}, {NULL, 0},
};

/* A signal argument: nil (TERM), a name from signal_names, or a number. */
static int check_signal(lua_State *L, int idx) {
  if (lua_isnoneornil(L, idx))
    return SIGTERM;
  if (lua_type(L, idx) == LUA_TNUMBER) {
    lua_Integer n = luaL_checkinteger(L, idx);
    luaL_argcheck(L, n >= 0 && n < NSIG, idx, "invalid signal number");
    return (int)n;
  }
  const char *s = luaL_checkstring(L, idx);
  for (int i = 0; signal_names[i].name; i++)
    if (strcmp(s, signal_names[i].name) == 0)
      return signal_names[i].sig;
  return luaL_argerror(L, idx, lua_pushfstring(L, "unknown signal '%s'", s));
}

/* ------------------------------------------------------------------- jobs */

typedef enum { OUT_CAPTURE, OUT_INHERIT, OUT_NULL, OUT_PATH } out_kind;

/*
** Everything one run or spawn owns, in a userdata whose __gc frees it, so a
** memory error raised by the Lua API cannot leak it. The normal paths free
** it explicitly (job_free is idempotent).
*/
typedef struct job {
  char **argv;              /* NULL-terminated, malloc'd strings */
  char **envp;              /* NULL-terminated once built */
  size_t envn, envcap;
  char **paths;             /* execve candidates, in lookup order */
  char *user_name, *user_home;
  gid_t *groups;
  int ngroups;
  int switch_user;
  uid_t uid;
  gid_t gid;
  int death_signal;         /* 0: none */
  pid_t parent;             /* our pid, for the death-signal race check */
  const char *cwd;          /* a Lua string anchored on the caller's stack */
  int maxfd;                /* bound for the close-on-exec fallback loop */
  int in_w, out_r, err_r;   /* parent's ends */
  int child_fd[3];          /* child's stdin, stdout, stderr (-1: inherit) */
  int report_r, report_w;   /* the exec-error pipe */
  int pidfd;                /* Linux: readable when the child exits */
  dbh_buf out, err;
} job;

/* Close and mark closed (-1), so that cleanup can run twice. */
static void close_fd(int *fd) {
  if (*fd >= 0) {
    close(*fd);
    *fd = -1;
  }
}

/* Free a NULL-terminated array of malloc'd strings. */
static void free_strv(char **v) {
  if (v) {
    for (char **p = v; *p; p++)
      free(*p);
    free(v);
  }
}

/* Free all memory and close all descriptors; the job stays reusable-empty.
** Never touches the child itself: reaping is the caller's business. */
static void job_free(job *j) {
  free_strv(j->argv);
  j->argv = NULL;
  if (j->envp) {
    for (size_t i = 0; i < j->envn; i++)
      free(j->envp[i]);
    free(j->envp);
    j->envp = NULL;
  }
  j->envn = j->envcap = 0;
  free_strv(j->paths);
  j->paths = NULL;
  free(j->user_name);
  free(j->user_home);
  free(j->groups);
  j->user_name = j->user_home = NULL;
  j->groups = NULL;
  close_fd(&j->in_w);
  close_fd(&j->out_r);
  close_fd(&j->err_r);
  for (int i = 0; i < 3; i++)
    close_fd(&j->child_fd[i]);
  close_fd(&j->report_r);
  close_fd(&j->report_w);
  close_fd(&j->pidfd);
  dbh_buf_free(&j->out);
  dbh_buf_free(&j->err);
}

/* __gc of the job userdata: the safety net when a Lua API call raised. */
static int job_gc(lua_State *L) {
  job_free((job *)luaL_checkudata(L, 1, JOB_CLASS));
  return 0;
}

/* Push a new, empty job userdata. */
static job *job_new(lua_State *L) {
  job *j = (job *)lua_newuserdatauv(L, sizeof *j, 0);
  memset(j, 0, sizeof *j);
  j->in_w = j->out_r = j->err_r = -1;
  j->child_fd[0] = j->child_fd[1] = j->child_fd[2] = -1;
  j->report_r = j->report_w = j->pidfd = -1;
  luaL_setmetatable(L, JOB_CLASS);
  return j;
}

/* ---------------------------------------------------------------- options */

/*
** Options are read in two passes. check_options validates everything and
** may raise (nothing is owned yet); collect_job then copies into malloc'd
** arrays using only raw table access and no Lua allocation, so it cannot
** raise, and reports ENOMEM instead.
*/

enum {
  OPT_ARGV, OPT_ENV, OPT_ENV_ADD, OPT_CWD, OPT_USER, OPT_STDIN, OPT_STDOUT,
  OPT_STDERR, OPT_DEATH, OPT_TIMEOUT, OPT_GRACE, OPT_COUNT
};
static const char *const option_names[OPT_COUNT] = {
  "argv", "env", "env_add", "cwd", "user", "stdin", "stdout", "stderr",
  "death_signal", "timeout", "grace",
};

/* The validated options; values stay on the Lua stack from `base` on. */
typedef struct options {
  int base;
  int for_run;                  /* run (1) or spawn (0) */
  out_kind out, err;
  const char *out_path, *err_path;
  const char *stdin_data;       /* run: NULL means /dev/null */
  size_t stdin_len;
  double timeout;               /* run: 0 means none */
  double grace;                 /* run: seconds between SIGTERM and SIGKILL */
} options;

#define OPT(o, i) ((o)->base + (i))

/* Raise "bad argument #1 (...)" for the option table. */
static int opt_error(lua_State *L, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  const char *msg = lua_pushvfstring(L, fmt, ap);
  va_end(ap);
  return luaL_argerror(L, 1, msg);
}

/* argv elements and env values: strings, or numbers converted like tostring. */
static int is_word(lua_State *L, int idx) {
  int t = lua_type(L, idx);
  return t == LUA_TSTRING || t == LUA_TNUMBER;
}

/* True for a string value holding a NUL byte (execve would cut it). */
static int has_nul(lua_State *L, int idx) {
  size_t n;
  if (lua_type(L, idx) != LUA_TSTRING)
    return 0;
  const char *s = lua_tolstring(L, idx, &n);
  return strlen(s) != n;
}

/* argv: a proper sequence of words; argv[1] (the program) not empty. */
static void check_argv(lua_State *L, int idx) {
  if (lua_type(L, idx) != LUA_TTABLE || lua_rawlen(L, idx) == 0)
    opt_error(L, "argv must be a non-empty list of strings");
  lua_Unsigned n = lua_rawlen(L, idx);
  for (lua_Unsigned i = 1; i <= n; i++) {
    lua_rawgeti(L, idx, (lua_Integer)i);
    if (!is_word(L, -1) || has_nul(L, -1))
      opt_error(L, "argv[%d] must be a string without NUL bytes", (int)i);
    if (i == 1 && lua_type(L, -1) == LUA_TSTRING && lua_rawlen(L, -1) == 0)
      opt_error(L, "argv[1] must not be empty");
    lua_pop(L, 1);
  }
}

/* env / env_add: string keys naming variables, string or number values. */
static void check_env(lua_State *L, int idx, const char *what, int allow_false) {
  if (lua_isnil(L, idx))
    return;
  if (lua_type(L, idx) != LUA_TTABLE)
    opt_error(L, "%s must be a table", what);
  lua_pushnil(L);
  while (lua_next(L, idx)) {
    size_t n;
    if (lua_type(L, -2) != LUA_TSTRING)
      opt_error(L, "%s keys must be strings", what);
    const char *k = lua_tolstring(L, -2, &n);
    if (n == 0 || strlen(k) != n || strchr(k, '='))
      opt_error(L, "%s: invalid variable name '%s'", what, k);
    int ok = (is_word(L, -1) && !has_nul(L, -1)) ||
             (allow_false && lua_type(L, -1) == LUA_TBOOLEAN && !lua_toboolean(L, -1));
    if (!ok)
      opt_error(L, "%s.%s must be a string%s", what, k, allow_false ? " or false" : "");
    lua_pop(L, 1);
  }
}

/* stdout/stderr: a keyword or a path. spawn cannot capture: nobody would
** drain the pipe, and a server would block once it filled. */
static void check_redirect(lua_State *L, int idx, const char *what, int for_run,
                           out_kind *kind, const char **path) {
  *path = NULL;
  if (lua_isnil(L, idx)) {
    *kind = for_run ? OUT_CAPTURE : OUT_NULL;
    return;
  }
  if (lua_type(L, idx) != LUA_TSTRING || lua_rawlen(L, idx) == 0 || has_nul(L, idx))
    opt_error(L, "%s must be \"capture\", \"inherit\", \"null\" or a path", what);
  const char *s = lua_tostring(L, idx);
  if (strcmp(s, "capture") == 0) {
    if (!for_run)
      opt_error(L, "spawn cannot capture %s (use a path)", what);
    *kind = OUT_CAPTURE;
  } else if (strcmp(s, "inherit") == 0) {
    *kind = OUT_INHERIT;
  } else if (strcmp(s, "null") == 0) {
    *kind = OUT_NULL;
  } else {
    *kind = OUT_PATH;
    *path = s;
  }
}

/*
** Validate the option table at index 1 and push its values (OPT_COUNT slots
** from o->base). Raises on misuse; owns no C memory, so raising is safe.
*/
static void check_options(lua_State *L, options *o) {
  luaL_checktype(L, 1, LUA_TTABLE);
  luaL_checkstack(L, OPT_COUNT + 8, "proc options");
  /* unknown keys raise: a misspelt option must not be silently ignored */
  lua_pushnil(L);
  while (lua_next(L, 1)) {
    lua_pop(L, 1);
    int known = 0;
    if (lua_type(L, -1) == LUA_TSTRING)
      for (int i = 0; i < OPT_COUNT && !known; i++)
        known = (o->for_run || (i != OPT_TIMEOUT && i != OPT_GRACE)) &&
                strcmp(lua_tostring(L, -1), option_names[i]) == 0;
    if (!known)
      opt_error(L, lua_type(L, -1) == LUA_TSTRING ? "unknown option '%s'" : "unknown option",
                lua_tostring(L, -1));
  }
  /* the values stay on the stack: strings used later (cwd, paths, stdin)
  ** remain valid for the whole call */
  o->base = lua_gettop(L) + 1;
  for (int i = 0; i < OPT_COUNT; i++)
    lua_getfield(L, 1, option_names[i]);

  check_argv(L, OPT(o, OPT_ARGV));
  check_env(L, OPT(o, OPT_ENV), "env", 0);
  check_env(L, OPT(o, OPT_ENV_ADD), "env_add", 1);
  int idx = OPT(o, OPT_CWD);
  if (!lua_isnil(L, idx) && (lua_type(L, idx) != LUA_TSTRING || has_nul(L, idx)))
    opt_error(L, "cwd must be a string");
  idx = OPT(o, OPT_USER);
  if (!lua_isnil(L, idx) && lua_type(L, idx) != LUA_TSTRING &&
      !(lua_isinteger(L, idx) && lua_tointeger(L, idx) >= 0))
    opt_error(L, "user must be a name or a uid");
  idx = OPT(o, OPT_STDIN);
  if (o->for_run) {
    if (!lua_isnil(L, idx) && lua_type(L, idx) != LUA_TSTRING)
      opt_error(L, "stdin must be a string");
    o->stdin_data = lua_tolstring(L, idx, &o->stdin_len);
  } else if (!lua_isnil(L, idx) &&
             (lua_type(L, idx) != LUA_TSTRING || strcmp(lua_tostring(L, idx), "null") != 0)) {
    opt_error(L, "spawn's stdin must be \"null\"");
  }
  check_redirect(L, OPT(o, OPT_STDOUT), "stdout", o->for_run, &o->out, &o->out_path);
  check_redirect(L, OPT(o, OPT_STDERR), "stderr", o->for_run, &o->err, &o->err_path);
  idx = OPT(o, OPT_DEATH);
  if (!lua_isnil(L, idx) && lua_type(L, idx) != LUA_TSTRING && !lua_isinteger(L, idx))
    opt_error(L, "death_signal must be a signal name or number");
  idx = OPT(o, OPT_TIMEOUT);
  o->timeout = 0;
  if (o->for_run && !lua_isnil(L, idx)) {
    if (lua_type(L, idx) != LUA_TNUMBER)
      opt_error(L, "timeout must be a number of seconds");
    o->timeout = lua_tonumber(L, idx);
    if (!(o->timeout > 0) || !isfinite(o->timeout))
      opt_error(L, "timeout must be a positive number of seconds");
  }
  idx = OPT(o, OPT_GRACE);
  o->grace = KILL_GRACE;
  if (o->for_run && !lua_isnil(L, idx)) {
    if (lua_type(L, idx) != LUA_TNUMBER || !(lua_tonumber(L, idx) >= 0) || !isfinite(lua_tonumber(L, idx)))
      opt_error(L, "grace must be a number of seconds >= 0");
    o->grace = lua_tonumber(L, idx);
  }
}

/* A signal name or number from an option slot (validated type). */
static int option_signal(lua_State *L, int idx) {
  if (lua_isnil(L, idx))
    return 0;
  if (lua_type(L, idx) == LUA_TNUMBER) {
    lua_Integer n = lua_tointeger(L, idx);
    if (n <= 0 || n >= NSIG)
      opt_error(L, "death_signal: invalid signal number");
    return (int)n;
  }
  const char *s = lua_tostring(L, idx);
  for (int i = 0; signal_names[i].name; i++)
    if (strcmp(s, signal_names[i].name) == 0)
      return signal_names[i].sig;
  return opt_error(L, "death_signal: unknown signal '%s'", s);
}

/* ------------------------------------------------------------------ users */

/* getpwnam / getpwuid for a name or uid argument; NULL with errno (0: absent). */
static struct passwd *lookup_user(lua_State *L, int idx) {
  errno = 0;
  if (lua_type(L, idx) == LUA_TNUMBER)
    return getpwuid((uid_t)lua_tointeger(L, idx));
  return getpwnam(lua_tostring(L, idx));
}

/* Push the "no such user" failure for a name or uid at idx. */
static int push_no_user(lua_State *L, int idx, int err) {
  if (err != 0 && err != ENOENT && err != ESRCH)
    return dbh_pusherrno(L, "looking up user", err);
  if (lua_type(L, idx) == LUA_TNUMBER)
    return dbh_pushfail(L, "ENOENT", "uid %d: no such user", (int)lua_tointeger(L, idx));
  return dbh_pushfail(L, "ENOENT", "user '%s': no such user", lua_tostring(L, idx));
}

/*
** Decide about the `user` option: nothing to do, or switch (as root), or
** refuse. Returns 0, or the count of a pushed failure triple.
*/
static int resolve_user(lua_State *L, const options *o, job *j) {
  int idx = OPT(o, OPT_USER);
  if (lua_isnil(L, idx))
    return 0;
  struct passwd *pw = lookup_user(L, idx);
  if (!pw)
    return push_no_user(L, idx, errno);
  /* only root can become someone else; asking to be ourselves is fine */
  if (geteuid() != 0) {
    if (pw->pw_uid == geteuid())
      return 0;  /* already that user */
    return dbh_pushfail(L, "EPERM", "cannot run as user '%s': dbhost is not running as root",
                        pw->pw_name);
  }
  j->switch_user = 1;
  j->uid = pw->pw_uid;
  j->gid = pw->pw_gid;
  j->user_name = strdup(pw->pw_name);
  j->user_home = strdup(pw->pw_dir ? pw->pw_dir : "/");
  if (!j->user_name || !j->user_home) {
    job_free(j);
    return dbh_pusherrno(L, NULL, ENOMEM);
  }
  return 0;
}

/* The user's supplementary groups, for setgroups in the child. Resolved here
** in the parent: initgroups reads the group database, which is not
** async-signal-safe between fork and exec. */
static int collect_groups(job *j) {
  int cap = 32;
  for (;;) {
    gid_t *g = malloc((size_t)cap * sizeof *g);
    if (!g)
      return -1;
    int n = cap;
    if (getgrouplist(j->user_name, j->gid, g, &n) >= 0) {
      j->groups = g;
      j->ngroups = n;
      return 0;
    }
    free(g);
    if (cap >= 65536) {  /* absurd: keep just the primary group */
      if (!(j->groups = malloc(sizeof *j->groups)))
        return -1;
      j->groups[0] = j->gid;
      j->ngroups = 1;
      return 0;
    }
    cap = n > cap ? n : cap * 2;
  }
}

/* ------------------------------------------------- collecting argv and env */

/* A Lua number as tostring() shows it, without allocating in Lua. */
static void format_number(lua_State *L, int idx, char *buf, size_t size) {
  if (lua_isinteger(L, idx)) {
    snprintf(buf, size, LUA_INTEGER_FMT, (LUAI_UACINT)lua_tointeger(L, idx));
  } else {
    snprintf(buf, size, LUA_NUMBER_FMT, (LUAI_UACNUMBER)lua_tonumber(L, idx));
    if (buf[strspn(buf, "-0123456789")] == '\0' && strlen(buf) + 3 <= size)
      strcat(buf, ".0");
  }
}

/* malloc'd copy of the string or number at idx (NULL: out of memory). */
static char *dup_word(lua_State *L, int idx) {
  char num[64];
  size_t n;
  const char *s;
  if (lua_type(L, idx) == LUA_TNUMBER) {
    format_number(L, idx, num, sizeof num);
    s = num;
    n = strlen(num);
  } else {
    s = lua_tolstring(L, idx, &n);
  }
  char *d = malloc(n + 1);
  if (d) {
    memcpy(d, s, n);
    d[n] = '\0';
  }
  return d;
}

/*
** The child's environment is an array of malloc'd "K=V" strings, kept
** NULL-terminated at every step so the array is always safe to hand to
** execve or to free.
*/

/* Append an owned "K=V" string to the environment (frees it on failure). */
static int env_push(job *j, char *kv) {
  if (!kv)
    return -1;
  if (j->envn + 2 > j->envcap) {
    size_t cap = j->envcap ? j->envcap * 2 : 64;
    char **v = realloc(j->envp, cap * sizeof *v);
    if (!v) {
      free(kv);
      return -1;
    }
    j->envp = v;
    j->envcap = cap;
  }
  j->envp[j->envn++] = kv;
  j->envp[j->envn] = NULL;
  return 0;
}

/* Remove every "KEY=" entry (order does not matter: the array is sorted later). */
static void env_unset(job *j, const char *key, size_t klen) {
  for (size_t i = 0; i < j->envn;) {
    if (strncmp(j->envp[i], key, klen) == 0 && j->envp[i][klen] == '=') {
      free(j->envp[i]);
      j->envp[i] = j->envp[--j->envn];
      j->envp[j->envn] = NULL;
    } else {
      i++;
    }
  }
}

/* Set KEY=VAL, replacing any earlier value. */
static int env_set(job *j, const char *key, size_t klen, const char *val, size_t vlen) {
  env_unset(j, key, klen);
  char *kv = malloc(klen + vlen + 2);
  if (kv) {
    memcpy(kv, key, klen);
    kv[klen] = '=';
    memcpy(kv + klen + 1, val, vlen);
    kv[klen + 1 + vlen] = '\0';
  }
  return env_push(j, kv);
}

/* env_set from the key at -2 and the string/number value at -1. */
static int env_set_pair(lua_State *L, job *j) {
  size_t klen;
  const char *k = lua_tolstring(L, -2, &klen);
  char *v = dup_word(L, -1);
  if (!v)
    return -1;
  int r = env_set(j, k, klen, v, strlen(v));
  free(v);
  return r;
}

/* The value of KEY in the child's environment, or NULL. */
static const char *env_get(const job *j, const char *key) {
  size_t klen = strlen(key);
  for (size_t i = 0; i < j->envn; i++)
    if (strncmp(j->envp[i], key, klen) == 0 && j->envp[i][klen] == '=')
      return j->envp[i] + klen + 1;
  return NULL;
}

static int cmp_strings(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The files execve tries, in order: argv[1] itself if it has a slash, else
** each PATH directory (an empty entry is the current directory). */
static int build_paths(job *j) {
  const char *name = j->argv[0];
  size_t nlen = strlen(name), count = 1;
  if (strchr(name, '/')) {
    if (!(j->paths = calloc(2, sizeof *j->paths)) || !(j->paths[0] = strdup(name)))
      return -1;
    return 0;
  }
  const char *path = env_get(j, "PATH");
  if (!path)
    path = DEFAULT_PATH;
  for (const char *p = path; *p; p++)
    count += *p == ':';
  if (!(j->paths = calloc(count + 1, sizeof *j->paths)))
    return -1;
  size_t k = 0;
  for (const char *p = path;; ) {
    size_t dlen = strcspn(p, ":");
    const char *dir = dlen ? p : ".";
    int dl = dlen ? (int)dlen : 1;
    char *full = malloc((size_t)dl + nlen + 2);
    if (!full)
      return -1;
    snprintf(full, (size_t)dl + nlen + 2, "%.*s/%s", dl, dir, name);
    j->paths[k++] = full;
    if (p[dlen] == '\0')
      break;
    p += dlen + 1;
  }
  return 0;
}

/*
** Second pass over the validated options: copy argv and the environment into
** malloc'd arrays. Raises nothing; returns -1 when out of memory.
*/
static int collect_job(lua_State *L, const options *o, job *j) {
  int argv_idx = OPT(o, OPT_ARGV), env_idx = OPT(o, OPT_ENV), add_idx = OPT(o, OPT_ENV_ADD);
  lua_Unsigned n = lua_rawlen(L, argv_idx);
  if (!(j->argv = calloc((size_t)n + 1, sizeof *j->argv)))
    return -1;
  for (lua_Unsigned i = 1; i <= n; i++) {
    lua_rawgeti(L, argv_idx, (lua_Integer)i);
    j->argv[i - 1] = dup_word(L, -1);
    lua_pop(L, 1);
    if (!j->argv[i - 1])
      return -1;
  }

  if (!(j->envp = calloc(64, sizeof *j->envp)))  /* NULL-terminated even if empty */
    return -1;
  j->envcap = 64;
  if (lua_istable(L, env_idx)) {
    lua_pushnil(L);
    while (lua_next(L, env_idx)) {
      if (env_set_pair(L, j) != 0)
        return -1;
      lua_pop(L, 1);
    }
  } else {
    for (char **e = environ; e && *e; e++)
      if (strchr(*e, '=') && env_push(j, strdup(*e)) != 0)
        return -1;
  }
  if (lua_istable(L, add_idx)) {
    lua_pushnil(L);
    while (lua_next(L, add_idx)) {
      if (lua_type(L, -1) == LUA_TBOOLEAN) {
        size_t klen;
        const char *k = lua_tolstring(L, -2, &klen);
        env_unset(j, k, klen);
      } else if (env_set_pair(L, j) != 0) {
        return -1;
      }
      lua_pop(L, 1);
    }
  }
  if (j->switch_user) {
    size_t hl = strlen(j->user_home), ul = strlen(j->user_name);
    if (env_set(j, "HOME", 4, j->user_home, hl) != 0 ||
        env_set(j, "USER", 4, j->user_name, ul) != 0 ||
        env_set(j, "LOGNAME", 7, j->user_name, ul) != 0 || collect_groups(j) != 0)
      return -1;
  }
  /* sorted: the child sees the same environment whatever the table order */
  qsort(j->envp, j->envn, sizeof *j->envp, cmp_strings);

  if (build_paths(j) != 0)
    return -1;
  long maxfd = sysconf(_SC_OPEN_MAX);
  j->maxfd = (maxfd < 0 || maxfd > 65536) ? 65536 : (int)maxfd;
  j->parent = getpid();
  if (!lua_isnil(L, OPT(o, OPT_CWD)))
    j->cwd = lua_tostring(L, OPT(o, OPT_CWD));
  return 0;
}

/* ------------------------------------------------------------ descriptors */

/* Move fd above 2 so that dup2 into 0..2 in the child never clobbers it. */
static int fd_high(int fd) {
  if (fd < 0 || fd > 2)
    return fd;
  int nfd = fcntl(fd, F_DUPFD_CLOEXEC, 3);
  int e = errno;
  close(fd);
  errno = e;
  return nfd;
}

/* The parent's ends are non-blocking: run's poll loop never stalls on one. */
static int set_nonblock(int fd) {
  int fl = fcntl(fd, F_GETFL);
  return fl < 0 ? -1 : fcntl(fd, F_SETFL, fl | O_NONBLOCK);
}

/* A close-on-exec pipe; the parent's end (index parent_end) non-blocking,
** the child's end above 2. */
static int make_pipe(int p[2], int parent_end) {
  if (pipe2(p, O_CLOEXEC) != 0)
    return -1;
  p[1 - parent_end] = fd_high(p[1 - parent_end]);
  if (p[1 - parent_end] < 0 || set_nonblock(p[parent_end]) != 0) {
    int e = errno;
    close_fd(&p[0]);
    close_fd(&p[1]);
    errno = e;
    return -1;
  }
  return 0;
}

/* open() for a child's descriptor: close-on-exec in the parent, above 2. */
static int open_high(const char *path, int flags) {
  return fd_high(open(path, flags | O_CLOEXEC, 0644));
}

/* The child's stdout or stderr (slot 1 or 2); *parent gets a capture pipe. */
static int open_output(job *j, int slot, out_kind kind, const char *path, int *parent) {
  int p[2];
  switch (kind) {
    case OUT_CAPTURE:
      if (make_pipe(p, 0) != 0)
        return -1;
      *parent = p[0];
      j->child_fd[slot] = p[1];
      return 0;
    case OUT_INHERIT:
      return 0;
    case OUT_NULL:
      j->child_fd[slot] = open_high("/dev/null", O_WRONLY);
      return j->child_fd[slot] < 0 ? -1 : 0;
    case OUT_PATH:
      /* never through a link: the folder may be writable by the child's user */
      j->child_fd[slot] = open_high(path, O_WRONLY | O_CREAT | O_APPEND | O_NOFOLLOW);
      return j->child_fd[slot] < 0 ? -1 : 0;
  }
  return 0;
}

/*
** Open the child's standard descriptors and the exec-error pipe. Returns 0,
** or -1 with errno set and *what naming the failed step.
*/
static int open_stdio(job *j, const options *o, const char **what) {
  int p[2];
  *what = "pipe";
  if (o->stdin_data) {
    if (make_pipe(p, 1) != 0)
      return -1;
    j->child_fd[0] = p[0];
    j->in_w = p[1];
  } else {
    *what = "/dev/null";
    if ((j->child_fd[0] = open_high("/dev/null", O_RDONLY)) < 0)
      return -1;
  }
  *what = o->out == OUT_PATH ? o->out_path : o->out == OUT_NULL ? "/dev/null" : "pipe";
  if (open_output(j, 1, o->out, o->out_path, &j->out_r) != 0)
    return -1;
  *what = o->err == OUT_PATH ? o->err_path : o->err == OUT_NULL ? "/dev/null" : "pipe";
  if (open_output(j, 2, o->err, o->err_path, &j->err_r) != 0)
    return -1;
  *what = "pipe";
  if (pipe2(p, O_CLOEXEC) != 0)
    return -1;
  j->report_r = p[0];
  if ((j->report_w = fd_high(p[1])) < 0)
    return -1;
  return 0;
}

/* ------------------------------------------------------------- the child */

enum { STAGE_SETUP, STAGE_GROUPS, STAGE_SETGID, STAGE_SETUID, STAGE_CWD, STAGE_EXEC };

/* What a child that could not exec writes to the report pipe. */
typedef struct child_report {
  int stage;
  int err;
} child_report;

static void child_fail(const job *j, int stage, int err) __attribute__((noreturn));
static void child_fail(const job *j, int stage, int err) {
  child_report r = {stage, err};
  ssize_t w = write(j->report_w, &r, sizeof r);
  (void)w;
  _exit(127);
}

/* Every descriptor from 3 on closes at exec (the report pipe already does). */
static void cloexec_from_3(const job *j) {
#if defined(SYS_close_range) && defined(CLOSE_RANGE_CLOEXEC)
  if (syscall(SYS_close_range, 3u, ~0u, CLOSE_RANGE_CLOEXEC) == 0)
    return;
#endif
  for (int fd = 3; fd < j->maxfd; fd++)
    fcntl(fd, F_SETFD, FD_CLOEXEC);
}

/*
** Between fork and exec: only async-signal-safe calls (no malloc, no stdio).
** Signals arrive blocked (the parent blocked them around fork).
*/
static void child_main(const job *j) __attribute__((noreturn));
static void child_main(const job *j) {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = SIG_DFL;
  sigemptyset(&sa.sa_mask);
  for (int s = 1; s < NSIG; s++)  /* ignored signals would stay ignored */
    if (s != SIGKILL && s != SIGSTOP)
      sigaction(s, &sa, NULL);
  if (setpgid(0, 0) != 0)
    child_fail(j, STAGE_SETUP, errno);
  for (int i = 0; i < 3; i++)
    if (j->child_fd[i] >= 0 && dup2(j->child_fd[i], i) < 0)
      child_fail(j, STAGE_SETUP, errno);
  cloexec_from_3(j);
  if (j->switch_user) {
    if (setgroups((size_t)j->ngroups, j->groups) != 0)
      child_fail(j, STAGE_GROUPS, errno);
    if (setgid(j->gid) != 0)
      child_fail(j, STAGE_SETGID, errno);
    if (setuid(j->uid) != 0)
      child_fail(j, STAGE_SETUID, errno);
  }
#ifdef __linux__
  /* after setuid, which clears it; a parent already gone is caught by getppid */
  if (j->death_signal) {
    if (prctl(PR_SET_PDEATHSIG, j->death_signal) != 0)
      child_fail(j, STAGE_SETUP, errno);
    if (getppid() != j->parent)
      kill(getpid(), j->death_signal);
  }
#endif
  if (j->cwd && chdir(j->cwd) != 0)
    child_fail(j, STAGE_CWD, errno);
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, NULL);
  /* execvp's rules: go on past missing files, remember EACCES; but a PATH
  ** directory we may not search (root's ~/bin for nobody) counts as missing,
  ** not as "Permission denied" for a program that is nowhere */
  int err = ENOENT, saw_eacces = 0;
  for (char *const *p = j->paths; *p; p++) {
    execve(*p, j->argv, j->envp);
    err = errno;
    struct stat st;
    if (err == EACCES && stat(*p, &st) == 0)
      saw_eacces = 1;
    else if (err == EACCES)
      err = ENOENT;
    else if (err != ENOENT && err != ENOTDIR && err != ESTALE && err != ENODEV &&
             err != ETIMEDOUT)
      child_fail(j, STAGE_EXEC, err);
  }
  child_fail(j, STAGE_EXEC, saw_eacces ? EACCES : err);
}

/* waitpid, retried when a signal (Ctrl-C, SIGCHLD handlers) interrupts it. */
static pid_t waitpid_eintr(pid_t pid, int *status, int flags) {
  pid_t r;
  do
    r = waitpid(pid, status, flags);
  while (r < 0 && errno == EINTR);
  return r;
}

/*
** Fork the child and wait until it has exec'd. Returns the pid; 0 when the
** child reported a failure (it is reaped; *rep says why); -1 when fork
** failed (errno).
*/
static pid_t start_child(job *j, child_report *rep) {
  /* blocked across fork: no host handler may run in the child before
  ** child_main has reset the dispositions */
  sigset_t all, old;
  sigfillset(&all);
  sigprocmask(SIG_BLOCK, &all, &old);
  pid_t pid = fork();
  if (pid == 0)
    child_main(j);
  int fork_err = errno;
  sigprocmask(SIG_SETMASK, &old, NULL);
  for (int i = 0; i < 3; i++)
    close_fd(&j->child_fd[i]);
  close_fd(&j->report_w);
  if (pid < 0) {
    close_fd(&j->report_r);
    errno = fork_err;
    return -1;
  }
  setpgid(pid, pid);  /* the child does it too: no race either way */
  /* EOF: exec succeeded and closed the report pipe; a report: it failed */
  ssize_t n;
  do
    n = read(j->report_r, rep, sizeof *rep);
  while (n < 0 && errno == EINTR);
  close_fd(&j->report_r);
  if (n == (ssize_t)sizeof *rep) {
    waitpid_eintr(pid, NULL, 0);
    return 0;
  }
#if defined(__linux__) && defined(SYS_pidfd_open)
  j->pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
#endif
  return pid;
}

/* The failure message for a child's report, into buf. */
static const char *report_message(const job *j, const child_report *r, char *buf, size_t size) {
  const char *e = strerror(r->err);
  switch (r->stage) {
    case STAGE_EXEC: snprintf(buf, size, "%s: %s", j->argv[0], e); break;
    case STAGE_CWD: snprintf(buf, size, "cwd %s: %s", j->cwd, e); break;
    case STAGE_GROUPS: snprintf(buf, size, "setgroups for '%s': %s", j->user_name, e); break;
    case STAGE_SETGID: snprintf(buf, size, "setgid(%d): %s", (int)j->gid, e); break;
    case STAGE_SETUID: snprintf(buf, size, "setuid(%d): %s", (int)j->uid, e); break;
    default: snprintf(buf, size, "starting %s: %s", j->argv[0], e); break;
  }
  return buf;
}

/*
** Open descriptors, fork, exec. Returns the pid, or 0 after freeing the job
** and pushing a failure triple (the caller returns 3).
*/
static pid_t launch(lua_State *L, job *j, const options *o) {
  const char *what;
  if (open_stdio(j, o, &what) != 0) {
    int e = errno;
    char msg[PATH_MAX + 64];
    snprintf(msg, sizeof msg, "%s: %s", what, strerror(e));
    job_free(j);
    dbh_pushfail(L, dbh_errno_name(e), "%s", msg);
    return 0;
  }
  child_report rep;
  pid_t pid = start_child(j, &rep);
  if (pid > 0)
    return pid;
  char msg[PATH_MAX + 128];
  int e = pid < 0 ? errno : rep.err;
  if (pid < 0)
    snprintf(msg, sizeof msg, "fork: %s", strerror(e));
  else
    report_message(j, &rep, msg, sizeof msg);
  job_free(j);
  dbh_pushfail(L, dbh_errno_name(e), "%s", msg);
  return 0;
}

/* -------------------------------------------------------------- proc.run */

/* A running child, while run waits for it. */
typedef struct run_state {
  pid_t pid;
  int reaped, lost, wstatus;
  int phase;           /* 0 running, 1 SIGTERM sent, 2 SIGKILL sent */
  double kill_at;
  double grace;        /* seconds between SIGTERM and SIGKILL */
  int timed_out, interrupted, failed;  /* failed: an errno that ends the run */
  const char *in_data;
  size_t in_len, in_off;
} run_state;

/* Reap the child if it has exited (never blocks). */
static void try_reap(run_state *s) {
  pid_t r = waitpid_eintr(s->pid, &s->wstatus, WNOHANG);
  if (r == s->pid) {
    s->reaped = 1;
  } else if (r < 0) {  /* ECHILD: someone else reaped it (SIGCHLD ignored) */
    s->reaped = s->lost = 1;
  }
}

/* SIGTERM to the group now, SIGKILL at kill_at. */
static void begin_stop(run_state *s, double now) {
  killpg(s->pid, SIGTERM);
  s->phase = 1;
  s->kill_at = now + s->grace;
}

/* Read one chunk from a capture pipe; closes it at EOF or error. Returns
** 1 after reading data, 0 when nothing is there now (or it closed). */
static int read_output(run_state *s, int *fd, dbh_buf *b) {
  if (dbh_buf_reserve(b, IO_CHUNK) != 0) {
    s->failed = ENOMEM;
    close_fd(fd);
    return 0;
  }
  ssize_t n = read(*fd, b->data + b->len, IO_CHUNK);
  if (n > 0) {
    b->len += (size_t)n;
    return 1;
  }
  if (n == 0 || (errno != EAGAIN && errno != EINTR))
    close_fd(fd);
  return 0;
}

/* After the child exited: what its pipe already holds, at most one pipe's
** worth (a background writer must not keep us here). */
static void drain_output(run_state *s, int *fd, dbh_buf *b) {
  if (*fd < 0)
    return;
  long limit = 1L << 20;
#ifdef F_GETPIPE_SZ
  int sz = fcntl(*fd, F_GETPIPE_SZ);
  if (sz > 0)
    limit = sz;
#endif
  size_t start = b->len;
  while (b->len - start < (size_t)limit && read_output(s, fd, b))
    ;
  close_fd(fd);
}

/* Write what the child will take of stdin; close when done or refused. */
static void write_input(run_state *s, job *j) {
  size_t left = s->in_len - s->in_off;
  if (left > 0) {
    ssize_t n = write(j->in_w, s->in_data + s->in_off, left < IO_CHUNK ? left : IO_CHUNK);
    if (n > 0)
      s->in_off += (size_t)n;
    else if (errno != EAGAIN && errno != EINTR)
      left = 0;  /* EPIPE: the child will not read any more */
  }
  if (left == 0 || s->in_off == s->in_len)
    close_fd(&j->in_w);
}

/*
** Feed stdin, drain stdout and stderr, watch the clock and dbh_interrupted,
** until the child is reaped; then stop its group if it timed out.
*/
static void run_loop(job *j, run_state *s, double deadline) {
  int tick = j->pidfd >= 0 ? TICK_MS : 10;
  if (j->in_w >= 0 && s->in_len == 0)
    close_fd(&j->in_w);
  for (;;) {
    /* the child's exit ends the loop: its output is all in the pipes by now */
    try_reap(s);
    if (s->reaped)
      break;
    /* phase changes: interrupt, out of memory, timeout, end of the grace */
    double now = mono_now();
    if (s->phase == 0 && dbh_interrupted) {
      s->interrupted = 1;
      begin_stop(s, now);
    } else if (s->phase == 0 && s->failed) {
      killpg(s->pid, SIGKILL);
      s->phase = 2;
    } else if (s->phase == 0 && deadline > 0 && now >= deadline) {
      s->timed_out = 1;
      begin_stop(s, now);
    }
    if (s->phase == 1 && now >= s->kill_at) {
      killpg(s->pid, SIGKILL);
      s->phase = 2;
    }
    /* wait for the pipes or the child's exit (pidfd), at most one tick,
    ** less when a deadline is nearer */
    struct pollfd pf[4];
    int np = 0, iin = -1, iout = -1, ierr = -1;
    if (j->in_w >= 0)
      iin = np, pf[np++] = (struct pollfd){j->in_w, POLLOUT, 0};
    if (j->out_r >= 0)
      iout = np, pf[np++] = (struct pollfd){j->out_r, POLLIN, 0};
    if (j->err_r >= 0)
      ierr = np, pf[np++] = (struct pollfd){j->err_r, POLLIN, 0};
    if (j->pidfd >= 0)
      pf[np++] = (struct pollfd){j->pidfd, POLLIN, 0};
    int ms = tick;
    if (s->phase == 0 && deadline > 0)
      ms = ms_until(deadline, now, ms);
    else if (s->phase == 1)
      ms = ms_until(s->kill_at, now, ms);
    if (poll(pf, (nfds_t)np, ms) <= 0)
      continue;  /* timeout, EINTR (a signal: look at the flags again) */
    if (iin >= 0 && pf[iin].revents)
      write_input(s, j);
    if (iout >= 0 && pf[iout].revents)
      read_output(s, &j->out_r, &j->out);
    if (ierr >= 0 && pf[ierr].revents)
      read_output(s, &j->err_r, &j->err);
  }
  drain_output(s, &j->out_r, &j->out);
  drain_output(s, &j->err_r, &j->err);
  close_fd(&j->in_w);
  close_fd(&j->pidfd);
  if (s->phase == 1) {  /* the leader is gone; give the rest the same grace */
    while (killpg(s->pid, 0) == 0 && mono_now() < s->kill_at)
      sleep_ms(10);
    if (killpg(s->pid, 0) == 0)
      killpg(s->pid, SIGKILL);
  }
}

/*
** Writing to a child that stopped reading raises SIGPIPE; the host ignores
** it but a plain interpreter does not. Block it while run writes, and
** discard one we caused before unblocking.
*/
typedef struct sigpipe_guard {
  sigset_t old;
  int was_pending;
} sigpipe_guard;

static void sigpipe_block(sigpipe_guard *g) {
  sigset_t pipe_set, pending;
  sigemptyset(&pipe_set);
  sigaddset(&pipe_set, SIGPIPE);
  sigpending(&pending);
  g->was_pending = sigismember(&pending, SIGPIPE);
  sigprocmask(SIG_BLOCK, &pipe_set, &g->old);
}

static void sigpipe_restore(sigpipe_guard *g) {
  sigset_t pipe_set, pending;
  sigemptyset(&pipe_set);
  sigaddset(&pipe_set, SIGPIPE);
  sigpending(&pending);
  if (!g->was_pending && sigismember(&pending, SIGPIPE)) {
    struct timespec zero = {0, 0};
    sigtimedwait(&pipe_set, NULL, &zero);
  }
  sigprocmask(SIG_SETMASK, &g->old, NULL);
}

/* Push a captured buffer, or nothing for an output that was not captured. */
static void set_output(lua_State *L, const char *field, out_kind kind, const dbh_buf *b) {
  if (kind != OUT_CAPTURE)
    return;
  lua_pushlstring(L, b->data ? b->data : "", b->len);
  lua_setfield(L, -2, field);
}

/*
** proc.run{ argv=, env=, env_add=, cwd=, stdin=, timeout=, user=, stdout=,
**           stderr=, death_signal= }
**   -> { status=, signal=, stdout=, stderr=, timed_out=, elapsed= } | nil, msg, code
*/
static int proc_run(lua_State *L) {
  options o;
  memset(&o, 0, sizeof o);
  o.for_run = 1;
  lua_settop(L, 1);
  check_options(L, &o);
  int death = option_signal(L, OPT(&o, OPT_DEATH));
  job *j = job_new(L);  /* owns everything from here; __gc is the safety net */
  j->death_signal = death;
  int n = resolve_user(L, &o, j);
  if (n)
    return n;
  if (collect_job(L, &o, j) != 0) {
    job_free(j);
    return dbh_pusherrno(L, NULL, ENOMEM);
  }
  double start = mono_now();
  sigpipe_guard guard;
  sigpipe_block(&guard);
  run_state s;
  memset(&s, 0, sizeof s);
  s.pid = launch(L, j, &o);
  if (s.pid == 0) {
    sigpipe_restore(&guard);
    return 3;
  }
  s.grace = o.grace;
  s.in_data = o.stdin_data;
  s.in_len = o.stdin_len;
  run_loop(j, &s, o.timeout > 0 ? start + o.timeout : 0);
  sigpipe_restore(&guard);
  double elapsed = mono_now() - start;
  if (s.interrupted) {
    job_free(j);
    return dbh_raise_interrupted(L);
  }
  if (s.failed) {
    job_free(j);
    return dbh_pusherrno(L, "reading the output", s.failed);
  }
  lua_createtable(L, 0, 6);
  if (!s.lost && WIFEXITED(s.wstatus)) {
    lua_pushinteger(L, WEXITSTATUS(s.wstatus));
    lua_setfield(L, -2, "status");
  } else if (!s.lost && WIFSIGNALED(s.wstatus)) {
    lua_pushinteger(L, WTERMSIG(s.wstatus));
    lua_setfield(L, -2, "signal");
  }
  set_output(L, "stdout", o.out, &j->out);
  set_output(L, "stderr", o.err, &j->err);
  lua_pushboolean(L, s.timed_out);
  lua_setfield(L, -2, "timed_out");
  lua_pushnumber(L, elapsed);
  lua_setfield(L, -2, "elapsed");
  job_free(j);
  return 1;
}

/* ------------------------------------------------- proc.spawn and process */

/* A spawned child. pid 0 means closed. */
typedef struct process {
  pid_t pid;
  int reaped, lost;
  int wstatus;
} process;

/* The process at argument 1; a closed one raises. */
static process *check_process(lua_State *L) {
  process *p = (process *)luaL_checkudata(L, 1, PROCESS_CLASS);
  if (p->pid == 0)
    luaL_error(L, "attempt to use a closed process");
  return p;
}

/* Reap without blocking; 1 when the child is (now) reaped. */
static int process_poll(process *p) {
  if (!p->reaped) {
    pid_t r = waitpid_eintr(p->pid, &p->wstatus, WNOHANG);
    if (r == p->pid)
      p->reaped = 1;
    else if (r < 0)
      p->reaped = p->lost = 1;
  }
  return p->reaped;
}

/*
** proc.spawn{ argv=, env=, env_add=, cwd=, user=, stdout=, stderr=,
**             stdin="null", death_signal= } -> process | nil, msg, code
*/
static int proc_spawn(lua_State *L) {
  options o;
  memset(&o, 0, sizeof o);
  lua_settop(L, 1);
  check_options(L, &o);
  int death = option_signal(L, OPT(&o, OPT_DEATH));
  process *p = (process *)lua_newuserdatauv(L, sizeof *p, 0);
  memset(p, 0, sizeof *p);
  luaL_setmetatable(L, PROCESS_CLASS);
  int pidx = lua_gettop(L);
  job *j = job_new(L);
  j->death_signal = death;
  int n = resolve_user(L, &o, j);
  if (n)
    return n;
  if (collect_job(L, &o, j) != 0) {
    job_free(j);
    return dbh_pusherrno(L, NULL, ENOMEM);
  }
  pid_t pid = launch(L, j, &o);
  if (pid == 0)
    return 3;
  job_free(j);
  p->pid = pid;
  lua_pushvalue(L, pidx);
  return 1;
}

/* p:pid() -> integer */
static int process_pid(lua_State *L) {
  lua_pushinteger(L, check_process(L)->pid);
  return 1;
}

/* Push a reaped child's status the way p:wait returns it. */
static int push_wait_status(lua_State *L, const process *p) {
  if (p->lost)
    return dbh_pushfail(L, "ECHILD", "process %d was reaped elsewhere", (int)p->pid);
  if (WIFEXITED(p->wstatus)) {
    lua_pushinteger(L, WEXITSTATUS(p->wstatus));
    lua_pushnil(L);
  } else {
    lua_pushboolean(L, 0);
    lua_pushinteger(L, WIFSIGNALED(p->wstatus) ? WTERMSIG(p->wstatus) : 0);
  }
  return 2;
}

/*
** p:wait([timeout]) -> status, nil | false, signal | nil, "timeout", "ETIMEDOUT"
** Reaps the child. Ctrl-C raises "interrupted" and leaves the child alone
** (whoever holds the handle decides whether to kill it).
*/
static int process_wait(lua_State *L) {
  process *p = check_process(L);
  double timeout = luaL_optnumber(L, 2, -1);
  luaL_argcheck(L, lua_isnoneornil(L, 2) || timeout >= 0, 2, "timeout must be >= 0");
  double deadline = lua_isnoneornil(L, 2) ? 0 : mono_now() + timeout;
  int pidfd = -1;
#if defined(__linux__) && defined(SYS_pidfd_open)
  if (!p->reaped)
    pidfd = (int)syscall(SYS_pidfd_open, p->pid, 0);
#endif
  while (!process_poll(p)) {
    if (dbh_interrupted) {
      close_fd(&pidfd);
      return dbh_raise_interrupted(L);
    }
    double now = mono_now();
    if (deadline > 0 && now >= deadline) {
      close_fd(&pidfd);
      return dbh_pushfail(L, "ETIMEDOUT", "timeout");
    }
    int ms = pidfd >= 0 ? TICK_MS : 10;
    if (deadline > 0)
      ms = ms_until(deadline, now, ms);
    struct pollfd pf = {pidfd, POLLIN, 0};
    poll(&pf, pidfd >= 0 ? 1 : 0, ms);
  }
  close_fd(&pidfd);
  return push_wait_status(L, p);
}

/* p:running() -> boolean */
static int process_running(lua_State *L) {
  lua_pushboolean(L, !process_poll(check_process(L)));
  return 1;
}

/* p:kill([sig]) -> true | nil, msg, code: signals the child's process group */
static int process_kill(lua_State *L) {
  process *p = check_process(L);
  int sig = check_signal(L, 2);
  if (p->reaped)  /* its pid may belong to someone else by now */
    return dbh_pushfail(L, "ESRCH", "process %d has exited", (int)p->pid);
  if (killpg(p->pid, sig) != 0)
    return dbh_pusherrno(L, lua_pushfstring(L, "kill %d", (int)p->pid), errno);
  lua_pushboolean(L, 1);
  return 1;
}

/* p:close(), __gc, __close: forget the child (no kill); idempotent. */
static int process_close(lua_State *L) {
  process *p = (process *)luaL_checkudata(L, 1, PROCESS_CLASS);
  if (p->pid != 0) {
    process_poll(p);  /* collect it if it already exited */
    p->pid = 0;
  }
  return 0;
}

/* tostring(p) -> "dbhost.proc.process (pid N)" */
static int process_tostring(lua_State *L) {
  process *p = (process *)luaL_checkudata(L, 1, PROCESS_CLASS);
  if (p->pid == 0)
    lua_pushliteral(L, "dbhost.proc.process (closed)");
  else
    lua_pushfstring(L, "dbhost.proc.process (pid %d)", (int)p->pid);
  return 1;
}

/* ---------------------------------------------------------- small helpers */

/* A pid argument: positive only (0 and -1 would signal whole groups, or
** everyone). */
static pid_t check_pid(lua_State *L, int idx) {
  lua_Integer pid = luaL_checkinteger(L, idx);
  luaL_argcheck(L, pid > 0 && pid <= INT_MAX, idx, "pid must be a positive integer");
  return (pid_t)pid;
}

/* proc.kill(pid [, sig]) -> true | nil, msg, code (sig defaults to "TERM") */
static int proc_kill(lua_State *L) {
  pid_t pid = check_pid(L, 1);
  int sig = check_signal(L, 2);
  if (kill(pid, sig) != 0)
    return dbh_pusherrno(L, lua_pushfstring(L, "kill %d", (int)pid), errno);
  lua_pushboolean(L, 1);
  return 1;
}

/* proc.alive(pid) -> boolean (kill(pid, 0); EPERM counts as alive) */
static int proc_alive(lua_State *L) {
  pid_t pid = check_pid(L, 1);
  lua_pushboolean(L, kill(pid, 0) == 0 || errno == EPERM);
  return 1;
}

/* proc.pid() -> integer */
static int proc_pid(lua_State *L) {
  lua_pushinteger(L, getpid());
  return 1;
}

/* proc.uid() -> integer: the effective uid */
static int proc_uid(lua_State *L) {
  lua_pushinteger(L, geteuid());
  return 1;
}

/* proc.now() -> seconds on the monotonic clock (for deadlines) */
static int proc_now(lua_State *L) {
  lua_pushnumber(L, mono_now());
  return 1;
}

/* proc.user(name | uid) -> { name=, uid=, gid=, home=, shell= } | nil, msg, "ENOENT" */
static int proc_user(lua_State *L) {
  int t = lua_type(L, 1);
  luaL_argexpected(L, t == LUA_TSTRING || lua_isinteger(L, 1), 1, "user name or uid");
  struct passwd *pw = lookup_user(L, 1);
  if (!pw)
    return push_no_user(L, 1, errno);
  lua_createtable(L, 0, 5);
  lua_pushstring(L, pw->pw_name);
  lua_setfield(L, -2, "name");
  lua_pushinteger(L, pw->pw_uid);
  lua_setfield(L, -2, "uid");
  lua_pushinteger(L, pw->pw_gid);
  lua_setfield(L, -2, "gid");
  lua_pushstring(L, pw->pw_dir ? pw->pw_dir : "");
  lua_setfield(L, -2, "home");
  lua_pushstring(L, pw->pw_shell ? pw->pw_shell : "");
  lua_setfield(L, -2, "shell");
  return 1;
}

/* A regular file we may execute (what execve would accept, roughly). */
static int is_executable(const char *path) {
  struct stat st;
  return stat(path, &st) == 0 && S_ISREG(st.st_mode) && access(path, X_OK) == 0;
}

/* proc.which(name [, path]) -> full path | nil, msg, "ENOENT" (path: $PATH) */
static int proc_which(lua_State *L) {
  const char *name = luaL_checkstring(L, 1);
  const char *env_path = getenv("PATH");
  const char *path = luaL_optstring(L, 2, env_path ? env_path : DEFAULT_PATH);
  if (*name && strchr(name, '/')) {
    if (is_executable(name)) {
      lua_pushstring(L, name);
      return 1;
    }
  } else if (*name) {
    char full[PATH_MAX];
    for (const char *p = path;; ) {
      size_t dlen = strcspn(p, ":");
      int n = snprintf(full, sizeof full, "%.*s/%s", dlen ? (int)dlen : 1, dlen ? p : ".", name);
      if (n > 0 && (size_t)n < sizeof full && is_executable(full)) {
        lua_pushstring(L, full);
        return 1;
      }
      if (p[dlen] == '\0')
        break;
      p += dlen + 1;
    }
  }
  return dbh_pushfail(L, "ENOENT", "%s: not found", name);
}

/* proc.sleep(seconds): Ctrl-C raises "interrupted" */
static int proc_sleep(lua_State *L) {
  double secs = luaL_checknumber(L, 1);
  luaL_argcheck(L, !isnan(secs), 1, "not a number");
  /* sleep in ticks, to notice Ctrl-C */
  double deadline = mono_now() + secs;
  for (;;) {
    if (dbh_interrupted)
      return dbh_raise_interrupted(L);
    double now = mono_now();
    if (now >= deadline)
      return 0;
    sleep_ms(ms_until(deadline, now, TICK_MS));
  }
}

/* proc.setenv(name, value | nil) -> true | nil, msg, code */
static int proc_setenv(lua_State *L) {
  const char *name = luaL_checkstring(L, 1);
  const char *value = luaL_optstring(L, 2, NULL);
  luaL_argcheck(L, *name && !strchr(name, '='), 1, "not a variable name");
  luaL_argcheck(L, strlen(name) == lua_rawlen(L, 1), 1, "not a variable name");
  luaL_argcheck(L, !value || strlen(value) == lua_rawlen(L, 2), 2, "holds a NUL byte");
  int rc = value ? setenv(name, value, 1) : unsetenv(name);
  if (rc != 0)
    return dbh_pusherrno(L, "setenv", errno);
  lua_pushboolean(L, 1);
  return 1;
}

int luaopen_dbhost_proc(lua_State *L);
int luaopen_dbhost_proc(lua_State *L) {
  static const luaL_Reg process_methods[] = {
    {"pid", process_pid},
    {"wait", process_wait},
    {"running", process_running},
    {"kill", process_kill},
    {"close", process_close},
    {NULL, NULL},
  };
  static const luaL_Reg no_methods[] = {{NULL, NULL}};
  static const luaL_Reg funcs[] = {
    {"run", proc_run},
    {"spawn", proc_spawn},
    {"kill", proc_kill},
    {"alive", proc_alive},
    {"pid", proc_pid},
    {"uid", proc_uid},
    {"now", proc_now},
    {"user", proc_user},
    {"which", proc_which},
    {"sleep", proc_sleep},
    {"setenv", proc_setenv},
    {NULL, NULL},
  };
  dbh_newclass(L, PROCESS_CLASS, process_methods, process_close);
  lua_pushcfunction(L, process_tostring);
  lua_setfield(L, -2, "__tostring");
  lua_pop(L, 1);
  dbh_newclass(L, JOB_CLASS, no_methods, job_gc);
  lua_pop(L, 1);
  luaL_newlib(L, funcs);
  return 1;
}
