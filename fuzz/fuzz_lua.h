/*
** fuzz_lua.h: what the libFuzzer targets that drive a Lua module share.
**
**   fuzz_run_checks(checks, name, modname, open, data, size)
**     a fresh state with the standard libraries, the C module `open` as `modname`,
**     then the Lua chunk `checks` called as checks(module, input); a chunk that does
**     not load or a failed check aborts (a finding). Returns 0 for LLVMFuzzerTestOneInput.
**   fuzz_script_path(L)
**     package.path = $DBHOST_SOURCE_DIR/scripts/?.lua (else scripts/?.lua), for targets
**     that load the Lua modules from the source tree.
*/
#ifndef DBHOST_FUZZ_LUA_H
#define DBHOST_FUZZ_LUA_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <lauxlib.h>
#include <lua.h>
#include <lualib.h>

static inline int fuzz_run_checks(const char *checks, const char *name, const char *modname,
                                  lua_CFunction open, const uint8_t *data, size_t size) {
  lua_State *L = luaL_newstate();
  if (!L)
    return 0;
  luaL_openlibs(L);
  if (luaL_loadbuffer(L, checks, strlen(checks), name) != LUA_OK) {
    fprintf(stderr, "%s\n", lua_tostring(L, -1));
    abort();
  }
  luaL_requiref(L, modname, open, 0);
  lua_pushlstring(L, (const char *)data, size);
  if (lua_pcall(L, 2, 0, 0) != LUA_OK) {
    fprintf(stderr, "check failed: %s\n", lua_tostring(L, -1));
    abort();
  }
  lua_close(L);
  return 0;
}

static inline void fuzz_script_path(lua_State *L) {
  const char *src = getenv("DBHOST_SOURCE_DIR");
  lua_getglobal(L, "package");
  if (src != NULL && src[0] != '\0')
    lua_pushfstring(L, "%s/scripts/?.lua", src);
  else
    lua_pushliteral(L, "scripts/?.lua");
  lua_setfield(L, -2, "path");
  lua_pop(L, 1);
}

#endif
