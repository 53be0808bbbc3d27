/*
 * fuzz_hcl.c: libFuzzer target for the atlas.hcl parser, dbhost.project.hcl.parse
 * (scripts/dbhost/project/hcl/parse.lua, pure Lua).
 *
 * Each input is handed to hcl.parse(input, "fuzz.hcl") inside lua_pcall. The
 * parser's contract is to return either a body table or nil, message, "EHCL"
 * for bad input; raising a Lua error is a bug, and so is a result of any other
 * shape, a message without the "fuzz.hcl:LINE:COL: " prefix, or running far
 * longer than the input's size warrants. Each of these calls abort() so that
 * libFuzzer records the input.
 *
 * The module is found through DBHOST_SOURCE_DIR (set by ctest) and falls back
 * to "scripts/?.lua" relative to the working directory. One lua_State is kept
 * for all inputs: a fuzzer is the one place where static state is fine.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <lua.h>
#include <lauxlib.h>
#include <lualib.h>
#include "fuzz_lua.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* VM instructions between two calls of the budget hook. */
#define HOOK_EVERY 10000
/* Instruction budget per input: a fixed part plus a part per input byte. The
 * parser is linear, using a few hundred instructions per byte; anything far
 * beyond that means quadratic behaviour or a loop that does not advance. */
#define BUDGET_BASE 2000000L
#define BUDGET_PER_BYTE 20000L

static lua_State *fuzz_L;       /* the state shared by all inputs */
static int parse_ref = LUA_NOREF; /* registry reference to hcl.parse */
static long budget_left;        /* instructions left for the current input */

/* Count hook: abort when the current input has used up its budget. */
static void budget_hook(lua_State *L, lua_Debug *ar) {
  (void)ar;
  budget_left -= HOOK_EVERY;
  if (budget_left < 0) {
    luaL_traceback(L, L, "hcl.parse exceeded its instruction budget", 0);
    fprintf(stderr, "%s\n", lua_tostring(L, -1));
    abort();
  }
}

/* Create the state, point package.path at the scripts and load the HCL parser. */
static void fuzz_setup(void) {
  lua_State *L = luaL_newstate();
  if (L == NULL) abort();
  luaL_openlibs(L);
  fuzz_script_path(L);
  lua_getglobal(L, "require");
  lua_pushliteral(L, "dbhost.project.hcl.parse");
  if (lua_pcall(L, 1, 1, 0) != LUA_OK) {
    fprintf(stderr, "fuzz_hcl: cannot load dbhost.project.hcl.parse: %s\n", lua_tostring(L, -1));
    abort();
  }
  lua_getfield(L, -1, "parse");
  if (!lua_isfunction(L, -1)) {
    fprintf(stderr, "fuzz_hcl: dbhost.project.hcl.parse has no parse function\n");
    abort();
  }
  parse_ref = luaL_ref(L, LUA_REGISTRYINDEX);
  lua_settop(L, 0);
  lua_sethook(L, budget_hook, LUA_MASKCOUNT, HOOK_EVERY);
  fuzz_L = L;
}

/* Check the nil, msg, code triple: msg is "fuzz.hcl:LINE:COL: ..." and code "EHCL". */
static void check_failure(lua_State *L, const uint8_t *data, size_t size) {
  const char *msg = lua_tostring(L, 2);
  const char *code = lua_tostring(L, 3);
  int line = 0, col = 0, used = 0;
  if (msg == NULL || code == NULL || strcmp(code, "EHCL") != 0) {
    fprintf(stderr, "fuzz_hcl: bad failure result (msg=%s, code=%s)\n",
            msg ? msg : "(none)", code ? code : "(none)");
    abort();
  }
  if (sscanf(msg, "fuzz.hcl:%d:%d: %n", &line, &col, &used) != 2 || used == 0 ||
      line < 1 || col < 1) {
    fprintf(stderr, "fuzz_hcl: message without a position: %s\n", msg);
    abort();
  }
  /* The line must exist in the input (line count = newlines + 1). */
  int lines = 1;
  for (size_t i = 0; i < size; i++)
    if (data[i] == '\n') lines++;
  if (line > lines) {
    fprintf(stderr, "fuzz_hcl: line %d beyond the input's %d lines: %s\n", line, lines, msg);
    abort();
  }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (fuzz_L == NULL) fuzz_setup();
  lua_State *L = fuzz_L;
  budget_left = BUDGET_BASE + BUDGET_PER_BYTE * (long)size;
  lua_rawgeti(L, LUA_REGISTRYINDEX, parse_ref);
  lua_pushlstring(L, (const char *)data, size);
  lua_pushliteral(L, "fuzz.hcl");
  if (lua_pcall(L, 2, 3, 0) != LUA_OK) {
    /* The parser must report bad input by returning, never by raising. */
    fprintf(stderr, "fuzz_hcl: hcl.parse raised: %s\n", lua_tostring(L, -1));
    abort();
  }
  if (lua_istable(L, 1)) {
    /* A body: it must carry the attribute and block lists. */
    if (lua_getfield(L, 1, "attrs") != LUA_TTABLE || lua_getfield(L, 1, "blocks") != LUA_TTABLE) {
      fprintf(stderr, "fuzz_hcl: body without attrs/blocks\n");
      abort();
    }
  } else if (lua_isnil(L, 1)) {
    check_failure(L, data, size);
  } else {
    fprintf(stderr, "fuzz_hcl: hcl.parse returned a %s\n", luaL_typename(L, 1));
    abort();
  }
  lua_settop(L, 0);
  return 0;
}
