/*
** pgquery.c: the dbhost.pgquery module, PostgreSQL 15's own parser
** (libpg_query) for one statement at a time. The lint rules match on the
** parse tree; the statement boundaries come from dbhost.sql.
**
**   pgquery.parse(sql)     -> json | nil, msg, "ESYNTAX", pos, byte
**       json = libpg_query's JSON parse tree: {"version":150001,"stmts":[
**              {"stmt":{"<NodeType>":{...}},"stmt_location":..,"stmt_len":..}]}
**       pos  = 1-based CHARACTER position of the error in sql, as PostgreSQL
**              counts characters (0 if unknown; a byte that starts no valid
**              UTF-8 sequence counts as one character)
**       byte = the same position as a 1-based byte offset (#sql + 1 if unknown)
**   pgquery.fingerprint(sql) -> hex | nil, msg, "ESYNTAX", pos, byte
**   pgquery.normalize(sql) -> text with constants replaced by $n
**                             | nil, msg, "ESYNTAX", pos, byte
**   pgquery.pg_version     -> "15.1" (the grammar's PostgreSQL version)
**   pgquery.pg_version_num -> 150001
**
** A statement holding a NUL byte gives nil, msg, "ESYNTAX", pos, byte of the NUL.
** libpg_query allocates with malloc: every result sits in a userdata box
** while Lua strings are made, so a memory error cannot leak it.
*/
#include "common.h"

#include <pg_query.h>
#include <stdlib.h>
#include <string.h>

#define BOX_CLASS "dbhost.pgquery.result"

enum { KIND_NONE, KIND_PARSE, KIND_FINGERPRINT, KIND_NORMALIZE };

/* One libpg_query result of any kind; kind NONE means freed. */
typedef struct result_box {
  int kind;
  union {
    PgQueryParseResult parse;
    PgQueryFingerprintResult fingerprint;
    PgQueryNormalizeResult normalize;
  } u;
} result_box;

/* Free the result now (idempotent). */
static void box_free(result_box *box) {
  switch (box->kind) {
    case KIND_PARSE: pg_query_free_parse_result(box->u.parse); break;
    case KIND_FINGERPRINT: pg_query_free_fingerprint_result(box->u.fingerprint); break;
    case KIND_NORMALIZE: pg_query_free_normalize_result(box->u.normalize); break;
    default: break;
  }
  box->kind = KIND_NONE;
}

/* __gc / __close of the box. */
static int box_gc(lua_State *L) {
  box_free(luaL_checkudata(L, 1, BOX_CLASS));
  return 0;
}

/* Push an empty box (userdata first, the resource second). */
static result_box *box_new(lua_State *L) {
  result_box *box = lua_newuserdatauv(L, sizeof *box, 0);
  box->kind = KIND_NONE;
  luaL_setmetatable(L, BOX_CLASS);
  return box;
}

/* Length of the UTF-8 character starting with byte c, as PostgreSQL's
** pg_utf_mblen counts it (a stray continuation byte counts as one). */
static size_t utf8_mblen(unsigned char c) {
  if ((c & 0x80) == 0)
    return 1;
  if ((c & 0xe0) == 0xc0)
    return 2;
  if ((c & 0xf0) == 0xe0)
    return 3;
  if ((c & 0xf8) == 0xf0)
    return 4;
  return 1;
}

/* 1-based byte offset in s[0, len) of PostgreSQL's 1-based character position
** pos (len + 1 when pos is past the end or 0). */
static size_t byte_of_char(const char *s, size_t len, int pos) {
  if (pos <= 0)
    return len + 1;
  size_t i = 0;
  for (int k = 1; k < pos && i < len; k++)
    i += utf8_mblen((unsigned char)s[i]);
  return (i < len ? i : len) + 1;
}

/* Push nil, message, "ESYNTAX", cursorpos, byte offset from a libpg_query
** error about sql (len bytes), free the box, return 5. */
static int push_error(lua_State *L, result_box *box, const PgQueryError *e,
                      const char *sql, size_t len) {
  int pos = e->cursorpos > 0 ? e->cursorpos : 0;
  luaL_pushfail(L);
  lua_pushstring(L, e->message ? e->message : "syntax error");
  lua_pushliteral(L, "ESYNTAX");
  lua_pushinteger(L, pos);
  lua_pushinteger(L, (lua_Integer)byte_of_char(sql, len, pos));
  box_free(box);
  return 5;
}

/* Check arg 1 is a string without NUL bytes (its length in *len); on a NUL
** push the failure (nil, msg, "ESYNTAX", pos, byte) and return NULL. */
static const char *check_sql(lua_State *L, int *nret, size_t *len) {
  const char *s = luaL_checklstring(L, 1, len);
  size_t n = strlen(s);
  if (n != *len) {
    /* character position of the NUL, counted as PostgreSQL counts characters */
    lua_Integer pos = 1;
    for (size_t i = 0; i < n; pos++)
      i += utf8_mblen((unsigned char)s[i]);
    *nret = dbh_pushfail(L, "ESYNTAX", "statement contains a NUL byte");
    lua_pushinteger(L, pos);
    lua_pushinteger(L, (lua_Integer)n + 1);
    *nret += 2;
    return NULL;
  }
  return s;
}

/* Run libpg_query's operation `kind` (KIND_PARSE, KIND_FINGERPRINT or
** KIND_NORMALIZE) on arg 1 inside a box; push its text (fallback when
** libpg_query gives none) or the failure (nil, msg, "ESYNTAX", pos, byte). */
static int run_query(lua_State *L, int kind) {
  int nret = 0;
  size_t len;
  const char *sql = check_sql(L, &nret, &len);
  if (!sql)
    return nret;
  result_box *box = box_new(L);
  const PgQueryError *error = NULL;
  const char *text = "";
  switch (kind) {
    case KIND_PARSE:
      box->u.parse = pg_query_parse(sql);
      box->kind = KIND_PARSE;
      error = box->u.parse.error;
      text = box->u.parse.parse_tree ? box->u.parse.parse_tree : "{}";
      break;
    case KIND_FINGERPRINT:
      box->u.fingerprint = pg_query_fingerprint(sql);
      box->kind = KIND_FINGERPRINT;
      error = box->u.fingerprint.error;
      text = box->u.fingerprint.fingerprint_str ? box->u.fingerprint.fingerprint_str : "";
      break;
    default:
      box->u.normalize = pg_query_normalize(sql);
      box->kind = KIND_NORMALIZE;
      error = box->u.normalize.error;
      text = box->u.normalize.normalized_query ? box->u.normalize.normalized_query : "";
      break;
  }
  if (error)
    return push_error(L, box, error, sql, len);
  lua_pushstring(L, text);
  box_free(box);
  return 1;
}

/* pgquery.parse(sql) -> json | nil, msg, "ESYNTAX", pos, byte */
static int pgq_parse(lua_State *L) {
  return run_query(L, KIND_PARSE);
}

/* pgquery.fingerprint(sql) -> hex | nil, msg, "ESYNTAX", pos, byte */
static int pgq_fingerprint(lua_State *L) {
  return run_query(L, KIND_FINGERPRINT);
}

/* pgquery.normalize(sql) -> text | nil, msg, "ESYNTAX", pos, byte */
static int pgq_normalize(lua_State *L) {
  return run_query(L, KIND_NORMALIZE);
}

int luaopen_dbhost_pgquery(lua_State *L);

int luaopen_dbhost_pgquery(lua_State *L) {
  static const luaL_Reg funcs[] = {
    {"parse", pgq_parse},
    {"fingerprint", pgq_fingerprint},
    {"normalize", pgq_normalize},
    {NULL, NULL},
  };
  static const luaL_Reg no_methods[] = {{NULL, NULL}};
  dbh_newclass(L, BOX_CLASS, no_methods, box_gc);
  lua_pop(L, 1);
  luaL_newlib(L, funcs);
  lua_pushliteral(L, PG_VERSION);
  lua_setfield(L, -2, "pg_version");
  lua_pushinteger(L, PG_VERSION_NUM);
  lua_setfield(L, -2, "pg_version_num");
  return 1;
}
