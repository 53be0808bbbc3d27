/*
** main.c: the dbhost host.
**
** Shaped like lua.c: `main` creates the state and does nothing that can
** raise; all real work runs in one protected call (`pmain`) with a message
** handler that adds a traceback. The host preloads the C bindings, makes the
** bundled Lua scripts loadable, makes globals strict, and hands the command
** line to the Lua driver `dbhost.main`, which finds and runs the command
** script. The driver's integer result is the exit status.
**
** Exit status: 0 ok, 1 a check failed (or a runtime error), 2 usage or
** configuration error, 130 interrupted. Errors raised as tables
** {message=, status=} (see scripts/dbhost/errors.lua) choose their status.
*/
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <lua.h>
#include <lauxlib.h>
#include <lualib.h>

#include "bundle.h"
#include "common.h"
#include "modules.h"

#define DBHOST_PROGNAME "dbhost"

#define DECLARE_OPEN(name) int luaopen_dbhost_##name(lua_State *L);
DBHOST_MODULES(DECLARE_OPEN)
#undef DECLARE_OPEN

/* The state the signal handler interrupts (the only global the host keeps). */
static lua_State *globalL = NULL;

/* ---------------------------------------------------------------- signals */

/* Hook set by the SIGINT handler: raise a structured "interrupted" error. */
static void lstop(lua_State *L, lua_Debug *ar) {
  (void)ar;
  lua_sethook(L, NULL, 0, 0);
  dbh_raise_interrupted(L);
}

/*
** SIGINT: note it for C loops that block (they poll dbh_interrupted) and set
** a hook so that Lua code stops at the next instruction. A second Ctrl-C
** gets the default action (lua.c does the same).
*/
static void laction(int sig) {
  int flag = LUA_MASKCALL | LUA_MASKRET | LUA_MASKLINE | LUA_MASKCOUNT;
  signal(sig, SIG_DFL);
  dbh_interrupted = 1;
  lua_sethook(globalL, lstop, flag, 1);
}

/* ------------------------------------------------------------------ exit */

/*
** At exit the state is still closed, so that every finalizer runs (dev servers
** stopped, their folders removed), but the memory it frees goes back to the
** system with the process: after a schema of thousands of tables, freeing
** millions of blocks one by one costs a tenth of a second for nothing. The
** sanitizer builds free everything, so that their leak check stays meaningful.
*/
#if defined(__SANITIZE_ADDRESS__)
#define DBH_FREE_AT_EXIT 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define DBH_FREE_AT_EXIT 1
#endif
#endif

#ifndef DBH_FREE_AT_EXIT
static lua_Alloc default_alloc;

/* The allocator while closing: frees nothing, allocates as before (finalizers may). */
static void *exit_alloc(void *ud, void *ptr, size_t osize, size_t nsize) {
  if (nsize == 0)
    return NULL;
  return default_alloc(ud, ptr, osize, nsize);
}
#endif

static void close_state(lua_State *L) {
#ifndef DBH_FREE_AT_EXIT
  void *ud;
  default_alloc = lua_getallocf(L, &ud);
  lua_setallocf(L, exit_alloc, ud);
#endif
  lua_close(L);
}

/* ----------------------------------------------------------- error report */

/* Message handler: structured errors pass through; others get a traceback. */
static int msghandler(lua_State *L) {
  if (lua_type(L, 1) == LUA_TTABLE)
    return 1;
  const char *msg = lua_tostring(L, 1);
  if (msg == NULL) {
    if (luaL_callmeta(L, 1, "__tostring") && lua_type(L, -1) == LUA_TSTRING)
      return 1;
    msg = lua_pushfstring(L, "(error object is a %s value)", luaL_typename(L, 1));
  }
  luaL_traceback(L, L, msg, 1);
  return 1;
}

/*
** Print the error at the top of the stack and return the exit status.
** A plain error prints its first line; DBHOST_DEBUG=1 prints the traceback.
*/
static int report(lua_State *L) {
  int status = 1;
  const char *msg;
  if (lua_type(L, -1) == LUA_TTABLE) {
    if (lua_getfield(L, -1, "status") == LUA_TNUMBER)
      status = (int)lua_tointeger(L, -1);
    lua_pop(L, 1);
    lua_getfield(L, -1, "message");
    msg = lua_tostring(L, -1);
    if (msg && *msg)
      fprintf(stderr, "%s: %s\n", DBHOST_PROGNAME, msg);
    lua_pop(L, 1);
    return status;
  }
  msg = lua_tostring(L, -1);
  if (msg == NULL)
    msg = "(error object is not a string)";
  const char *debug = getenv("DBHOST_DEBUG");
  if (debug && *debug && strcmp(debug, "0") != 0) {
    fprintf(stderr, "%s: %s\n", DBHOST_PROGNAME, msg);
  } else {
    const char *tb = strstr(msg, "\nstack traceback:");
    int len = tb ? (int)(tb - msg) : (int)strlen(msg);
    fprintf(stderr, "%s: %.*s\n", DBHOST_PROGNAME, len, msg);
  }
  fflush(stderr);
  return status;
}

/* ------------------------------------------------------- bundled scripts */

static const struct dbhost_bundle_file *bundle_find(const char *path) {
  for (const struct dbhost_bundle_file *f = dbhost_bundle; f->path; f++)
    if (strcmp(f->path, path) == 0)
      return f;
  return NULL;
}

/*
** Searcher for bundled modules: "dbhost.x" -> "dbhost/x.lua" or
** "dbhost/x/init.lua". It comes after package.path, so a project's own
** scripts/ shadow the bundled ones.
*/
static int bundle_searcher(lua_State *L) {
  const char *name = luaL_checkstring(L, 1);
  const char *base = luaL_gsub(L, name, ".", "/");
  const char *cands[2];
  cands[0] = lua_pushfstring(L, "%s.lua", base);
  cands[1] = lua_pushfstring(L, "%s/init.lua", base);
  for (int i = 0; i < 2; i++) {
    const struct dbhost_bundle_file *f = bundle_find(cands[i]);
    if (!f)
      continue;
    const char *chunk = lua_pushfstring(L, "=%s (bundled)", f->path);
    if (luaL_loadbufferx(L, (const char *)f->data, f->size, chunk, "t") != LUA_OK)
      return lua_error(L);
    lua_pushfstring(L, "bundle:%s", f->path);
    return 2;
  }
  lua_pushfstring(L, "no bundled script '%s'", cands[0]);
  return 1;
}

/* host.bundle_list() -> { "commands/help.lua", ... } (sorted) */
static int host_bundle_list(lua_State *L) {
  lua_newtable(L);
  int i = 1;
  for (const struct dbhost_bundle_file *f = dbhost_bundle; f->path; f++) {
    lua_pushstring(L, f->path);
    lua_rawseti(L, -2, i++);
  }
  return 1;
}

/* host.bundle_read(path) -> string | nil */
static int host_bundle_read(lua_State *L) {
  const struct dbhost_bundle_file *f = bundle_find(luaL_checkstring(L, 1));
  if (!f)
    return 0;
  lua_pushlstring(L, (const char *)f->data, f->size);
  return 1;
}

/* host.loadbundled(path) -> function | raises: load a bundled script */
static int host_bundle_load(lua_State *L) {
  const char *path = luaL_checkstring(L, 1);
  const struct dbhost_bundle_file *f = bundle_find(path);
  if (!f)
    return luaL_error(L, "no bundled script '%s'", path);
  const char *chunk = lua_pushfstring(L, "=%s (bundled)", f->path);
  if (luaL_loadbufferx(L, (const char *)f->data, f->size, chunk, "t") != LUA_OK)
    return lua_error(L);
  return 1;
}

/* Module dbhost.host: what only the host knows. */
static int luaopen_dbhost_host(lua_State *L) {
  static const luaL_Reg funcs[] = {
    {"bundle_list", host_bundle_list},
    {"bundle_read", host_bundle_read},
    {"bundle_load", host_bundle_load},
    {NULL, NULL},
  };
  luaL_newlib(L, funcs);
  lua_pushliteral(L, DBHOST_VERSION);
  lua_setfield(L, -2, "version");
  lua_pushliteral(L, LUA_RELEASE);
  lua_setfield(L, -2, "lua_version");
  return 1;
}

/* ----------------------------------------------------------- strictness */

static int strict_index(lua_State *L) {
  return luaL_error(L, "undeclared global '%s'", lua_tostring(L, 2));
}

static int strict_newindex(lua_State *L) {
  return luaL_error(L, "assignment to undeclared global '%s'", lua_tostring(L, 2));
}

/* Reading or writing an undeclared global raises (dbhost lua lifts this). */
static void make_globals_strict(lua_State *L) {
  lua_pushglobaltable(L);
  lua_createtable(L, 0, 2);
  lua_pushcfunction(L, strict_index);
  lua_setfield(L, -2, "__index");
  lua_pushcfunction(L, strict_newindex);
  lua_setfield(L, -2, "__newindex");
  lua_setmetatable(L, -2);
  lua_pop(L, 1);
}

/* ---------------------------------------------------------------- pmain */

static void preload(lua_State *L, const char *name, lua_CFunction open) {
  luaL_getsubtable(L, LUA_REGISTRYINDEX, LUA_PRELOAD_TABLE);
  lua_pushcfunction(L, open);
  lua_setfield(L, -2, name);
  lua_pop(L, 1);
}

/* Insert the bundle searcher after the Lua-file searcher (position 3). */
static void add_bundle_searcher(lua_State *L) {
  lua_getglobal(L, "package");
  lua_getfield(L, -1, "searchers");
  lua_Integer n = luaL_len(L, -1);
  for (lua_Integer i = n; i >= 3; i--) {
    lua_rawgeti(L, -1, i);
    lua_rawseti(L, -2, i + 1);
  }
  lua_pushcfunction(L, bundle_searcher);
  lua_rawseti(L, -2, 3);
  lua_pop(L, 2);
}

/*
** Lua C modules dbhost uses (lua-cjson) live in the system's Lua 5.4 module
** folder, which the build found: make sure package.cpath searches it, after
** whatever LUA_CPATH or the library's default already lists.
*/
static void add_module_folder(lua_State *L) {
  lua_getglobal(L, "package");
  lua_getfield(L, -1, "cpath");
  const char *cpath = lua_tostring(L, -1);
  const char *entry = DBHOST_LUA_CMOD_DIR "/?.so";
  if (cpath == NULL || strstr(cpath, entry) == NULL) {
    lua_pushfstring(L, "%s%s%s", cpath ? cpath : "", (cpath && *cpath) ? ";" : "", entry);
    lua_setfield(L, -3, "cpath");
  }
  lua_pop(L, 2);
}

static int pmain(lua_State *L) {
  int argc = (int)lua_tointeger(L, 1);
  char **argv = (char **)lua_touserdata(L, 2);
  luaL_checkversion(L);
  luaL_openlibs(L);
  preload(L, "dbhost.host", luaopen_dbhost_host);
#define PRELOAD(name) preload(L, "dbhost." #name, luaopen_dbhost_##name);
  DBHOST_MODULES(PRELOAD)
#undef PRELOAD
  add_bundle_searcher(L);
  add_module_folder(L);

  /* arg table as lua.c builds it: arg[0] is the program */
  lua_createtable(L, argc, 1);
  for (int i = 0; i < argc; i++) {
    lua_pushstring(L, argv[i]);
    lua_rawseti(L, -2, i);
  }
  lua_setglobal(L, "arg");
  make_globals_strict(L);

  lua_getglobal(L, "require");
  lua_pushliteral(L, "dbhost.main");
  lua_call(L, 1, 1);
  lua_getfield(L, -1, "main");
  lua_getglobal(L, "arg");
  lua_call(L, 1, 1);
  return 1;
}

int main(int argc, char **argv) {
  lua_State *L = luaL_newstate();
  if (L == NULL) {
    fprintf(stderr, "%s: cannot create Lua state: not enough memory\n", DBHOST_PROGNAME);
    return 2;
  }
  globalL = L;
  signal(SIGINT, laction);
  signal(SIGPIPE, SIG_IGN);
  lua_pushcfunction(L, msghandler);
  lua_pushcfunction(L, pmain);
  lua_pushinteger(L, argc);
  lua_pushlightuserdata(L, argv);
  int status;
  if (lua_pcall(L, 2, 1, 1) == LUA_OK) {
    status = lua_isinteger(L, -1) ? (int)lua_tointeger(L, -1) : 0;
  } else {
    status = report(L);
  }
  fflush(stdout);
  close_state(L);
  signal(SIGINT, SIG_DFL);
  return status;
}
