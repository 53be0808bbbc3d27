/*
 * fuzz_redact.c: libFuzzer target for the redaction of URLs and conninfo
 * strings: dbhost.db.url (scripts/dbhost/db/url.lua) on top of dbhost.pg's
 * conninfo_parse, conninfo_secrets and scrub (bindings/pg.c).
 *
 * Each input is taken as a conninfo. url.redact(input) must return a string and
 * never raise; url.secrets(input) must return a list of strings, and
 * url.scrub(input, secrets) a string in which no secret of 4 bytes or more
 * (without an x, which the mask could remake) is left. Lua work has an instruction budget proportional to the input, so a
 * quadratic blow-up or a loop that does not advance aborts. ASan watches the C.
 *
 * The module is found through DBHOST_SOURCE_DIR (set by ctest), else
 * "scripts/?.lua" relative to the working directory.
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
int luaopen_dbhost_pg(lua_State *L);

#define HOOK_EVERY 10000
#define BUDGET_BASE 2000000L
#define BUDGET_PER_BYTE 40000L

static lua_State *fuzz_L;
static int check_ref = LUA_NOREF;
static long budget_left;

static void budget_hook(lua_State *L, lua_Debug *ar) {
  (void)ar;
  budget_left -= HOOK_EVERY;
  if (budget_left < 0) {
    luaL_traceback(L, L, "redaction exceeded its instruction budget", 0);
    fprintf(stderr, "%s\n", lua_tostring(L, -1));
    abort();
  }
}

/* The checks, in Lua: returns nil when all hold, else what went wrong. */
static const char CHECK[] =
  "local url = require 'dbhost.db.url'\n"
  "return function(s)\n"
  "  local r = url.redact(s)\n"
  "  if type(r) ~= 'string' then return 'redact returned ' .. type(r) end\n"
  "  local secrets = url.secrets(s)\n"
  "  if type(secrets) ~= 'table' then return 'secrets returned ' .. type(secrets) end\n"
  "  for _, t in ipairs(secrets) do if type(t) ~= 'string' then return 'a secret is not a string' end end\n"
  "  local out = url.scrub(s, secrets)\n"
  "  if type(out) ~= 'string' then return 'scrub returned ' .. type(out) end\n"
  "  for _, t in ipairs(secrets) do\n"
  "    -- (a secret with an x in it may be remade by the mask next to other text)\n"
  "    if #t >= 4 and not t:find('x', 1, true) and out:find(t, 1, true) then return 'scrub left ' .. t end\n"
  "  end\n"
  "end\n";

static void fuzz_setup(void) {
  lua_State *L = luaL_newstate();
  if (L == NULL) abort();
  luaL_openlibs(L);
  luaL_getsubtable(L, LUA_REGISTRYINDEX, LUA_PRELOAD_TABLE);
  lua_pushcfunction(L, luaopen_dbhost_pg);
  lua_setfield(L, -2, "dbhost.pg");
  lua_pop(L, 1);
  fuzz_script_path(L);
  if (luaL_loadstring(L, CHECK) != LUA_OK || lua_pcall(L, 0, 1, 0) != LUA_OK) {
    fprintf(stderr, "fuzz_redact: cannot load dbhost.db.url: %s\n", lua_tostring(L, -1));
    abort();
  }
  check_ref = luaL_ref(L, LUA_REGISTRYINDEX);
  lua_sethook(L, budget_hook, LUA_MASKCOUNT, HOOK_EVERY);
  fuzz_L = L;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (fuzz_L == NULL) fuzz_setup();
  if (memchr(data, 0, size) != NULL) return 0; /* no C string holds a zero byte */
  lua_State *L = fuzz_L;
  budget_left = BUDGET_BASE + BUDGET_PER_BYTE * (long)size;
  lua_rawgeti(L, LUA_REGISTRYINDEX, check_ref);
  lua_pushlstring(L, (const char *)data, size);
  if (lua_pcall(L, 1, 1, 0) != LUA_OK) {
    fprintf(stderr, "fuzz_redact: raised: %s\n", lua_tostring(L, -1));
    abort();
  }
  if (!lua_isnil(L, -1)) {
    fprintf(stderr, "fuzz_redact: %s\n", lua_tostring(L, -1));
    abort();
  }
  lua_settop(L, 0);
  return 0;
}
