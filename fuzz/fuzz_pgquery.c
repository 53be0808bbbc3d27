/*
** fuzz_pgquery.c: arbitrary bytes into dbhost.pgquery (bindings/pgquery.c,
** over libpg_query).
**
** Beyond "no crash, no leak, no timeout" it checks, for any input, that each
** function answers either a string or (nil, string, "ESYNTAX", pos) with pos
** an integer between 0 and the input's character count plus one, and that
** parse and fingerprint agree on whether the input is valid SQL.
** A failed check aborts, which libFuzzer reports as a crash.
*/
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include <lua.h>
#include <lauxlib.h>
#include <lualib.h>

int luaopen_dbhost_pgquery(lua_State *L);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char checks[] =
    "local q, text = ...\n"
    "local nchars = 0\n"
    "for i = 1, #text do local b = text:byte(i) if b < 0x80 or b >= 0xC0 then nchars = nchars + 1 end end\n"
    "local function check(fn)\n"
    "  local a, msg, code, pos = fn(text)\n"
    "  if a ~= nil then assert(type(a) == 'string') return true end\n"
    "  assert(type(msg) == 'string' and code == 'ESYNTAX', tostring(code))\n"
    "  assert(math.type(pos) == 'integer' and pos >= 0 and pos <= nchars + 1, tostring(pos))\n"
    "  return false\n"
    "end\n"
    "local p = check(q.parse)\n"
    "local f = check(q.fingerprint)\n"
    "check(q.normalize)\n"
    "assert(p == f, 'parse and fingerprint disagree')\n";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size > 4096)
    return 0;  /* the parser is PostgreSQL's; long inputs only slow the run */
  lua_State *L = luaL_newstate();
  if (!L)
    return 0;
  luaL_openlibs(L);
  if (luaL_loadbuffer(L, checks, sizeof checks - 1, "=checks") != LUA_OK) {
    fprintf(stderr, "%s\n", lua_tostring(L, -1));
    abort();
  }
  luaL_requiref(L, "dbhost.pgquery", luaopen_dbhost_pgquery, 0);
  lua_pushlstring(L, (const char *)data, size);
  if (lua_pcall(L, 2, 0, 0) != LUA_OK) {
    fprintf(stderr, "check failed: %s\n", lua_tostring(L, -1));
    abort();
  }
  lua_close(L);
  return 0;
}
