/*
** common.h: helpers shared by every dbhost binding.
**
** Conventions (see STYLE.md at the project's shared notes):
**  - misuse raises (luaL_argerror); operational failure returns nil, message, code;
**  - userdata is created first, the resource second; NULL means closed;
**  - __gc and __close are the same idempotent function.
*/
#ifndef DBHOST_COMMON_H
#define DBHOST_COMMON_H

#include <signal.h>
#include <stddef.h>

#include <lua.h>
#include <lauxlib.h>

/* Set by the host's SIGINT handler; blocking C loops poll it. */
extern volatile sig_atomic_t dbh_interrupted;

/* Name of an errno value ("ENOENT", ...), or "E<number>" when unknown. */
const char *dbh_errno_name(int err);

/*
** Push the operational-failure triple: nil, "<what>: <strerror>", errno name.
** Returns 3 for "return dbh_pusherrno(L, what, errno);".
*/
int dbh_pusherrno(lua_State *L, const char *what, int err);

/* Push nil, message, code; returns 3. */
int dbh_pushfail(lua_State *L, const char *code, const char *fmt, ...);

/*
** Raise the host's structured "interrupted" error ({message=, status=130}).
** Call only when C owns no memory.
*/
int dbh_raise_interrupted(lua_State *L);

/*
** Create (or fetch) a class metatable named `name` with methods in __index,
** `gc` as both __gc and __close. Leaves it on the stack.
*/
void dbh_newclass(lua_State *L, const char *name, const luaL_Reg *methods,
                  lua_CFunction gc);

/* A growable byte buffer that does not use the Lua stack (safe across raises
** only if freed first: callers free before raising). */
typedef struct dbh_buf {
  char *data;
  size_t len, cap;
} dbh_buf;

int dbh_buf_reserve(dbh_buf *b, size_t extra);        /* 0 ok, -1 ENOMEM */
int dbh_buf_append(dbh_buf *b, const void *p, size_t n);
void dbh_buf_free(dbh_buf *b);

#endif
