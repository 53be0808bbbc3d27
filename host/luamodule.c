/*
** luamodule.c: lets the stock lua5.4 (and busted) load dbhost's bindings.
**
** The build makes lua/dbhost.so holding every binding; Lua's all-in-one
** loader finds luaopen_dbhost_<name> in it for require "dbhost.<name>".
** require "dbhost" itself returns the list of bundled C modules.
*/
#include <lua.h>
#include <lauxlib.h>

#include "modules.h"

int luaopen_dbhost(lua_State *L);

int luaopen_dbhost(lua_State *L) {
  lua_newtable(L);
  int i = 1;
#define NAME(name) lua_pushliteral(L, "dbhost." #name); lua_rawseti(L, -2, i++);
  DBHOST_MODULES(NAME)
#undef NAME
  (void)i;
  return 1;
}
