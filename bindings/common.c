/*
** common.c: helpers shared by every dbhost binding (not a Lua module itself).
*/
#include "common.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

volatile sig_atomic_t dbh_interrupted = 0;

const char *dbh_errno_name(int err) {
  switch (err) {
#define E(x) case x: return #x;
    E(EPERM) E(ENOENT) E(ESRCH) E(EINTR) E(EIO) E(ENXIO) E(E2BIG) E(ENOEXEC)
    E(EBADF) E(ECHILD) E(EAGAIN) E(ENOMEM) E(EACCES) E(EFAULT) E(EBUSY)
    E(EEXIST) E(EXDEV) E(ENODEV) E(ENOTDIR) E(EISDIR) E(EINVAL) E(ENFILE)
    E(EMFILE) E(ENOTTY) E(EFBIG) E(ENOSPC) E(ESPIPE) E(EROFS) E(EMLINK)
    E(EPIPE) E(ERANGE) E(ENAMETOOLONG) E(ENOTEMPTY) E(ELOOP) E(ETIMEDOUT)
    E(ECONNREFUSED) E(ECONNRESET) E(EADDRINUSE)
#undef E
    default: return "EUNKNOWN";
  }
}

int dbh_pusherrno(lua_State *L, const char *what, int err) {
  luaL_pushfail(L);
  if (what)
    lua_pushfstring(L, "%s: %s", what, strerror(err));
  else
    lua_pushstring(L, strerror(err));
  lua_pushstring(L, dbh_errno_name(err));
  return 3;
}

int dbh_pushfail(lua_State *L, const char *code, const char *fmt, ...) {
  va_list ap;
  luaL_pushfail(L);
  va_start(ap, fmt);
  lua_pushvfstring(L, fmt, ap);
  va_end(ap);
  lua_pushstring(L, code);
  return 3;
}

int dbh_raise_interrupted(lua_State *L) {
  dbh_interrupted = 0;
  lua_createtable(L, 0, 2);
  lua_pushliteral(L, "interrupted");
  lua_setfield(L, -2, "message");
  lua_pushinteger(L, 130);
  lua_setfield(L, -2, "status");
  if (luaL_getmetatable(L, "dbhost.error") == LUA_TTABLE)
    lua_setmetatable(L, -2);
  else
    lua_pop(L, 1);
  return lua_error(L);
}

void dbh_newclass(lua_State *L, const char *name, const luaL_Reg *methods,
                  lua_CFunction gc) {
  if (!luaL_newmetatable(L, name))
    return;  /* already made */
  lua_newtable(L);
  luaL_setfuncs(L, methods, 0);
  lua_setfield(L, -2, "__index");
  if (gc) {
    lua_pushcfunction(L, gc);
    lua_setfield(L, -2, "__gc");
    lua_pushcfunction(L, gc);
    lua_setfield(L, -2, "__close");
  }
}

int dbh_buf_reserve(dbh_buf *b, size_t extra) {
  if (b->cap - b->len >= extra)
    return 0;
  size_t cap = b->cap ? b->cap : 256;
  while (cap - b->len < extra) {
    if (cap > ((size_t)-1) / 2)
      return -1;
    cap *= 2;
  }
  char *p = realloc(b->data, cap);
  if (!p)
    return -1;
  b->data = p;
  b->cap = cap;
  return 0;
}

int dbh_buf_append(dbh_buf *b, const void *p, size_t n) {
  if (n == 0)
    return 0;
  if (dbh_buf_reserve(b, n) != 0)
    return -1;
  memcpy(b->data + b->len, p, n);
  b->len += n;
  return 0;
}

void dbh_buf_free(dbh_buf *b) {
  free(b->data);
  b->data = NULL;
  b->len = b->cap = 0;
}
