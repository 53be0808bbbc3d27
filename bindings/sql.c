/*
** sql.c: the dbhost.sql module, PostgreSQL statement splitting and Atlas's
** migration-file directives. The scanning is in sqlsplit.c; this file turns
** its results into Lua tables.
**
**   sql.split(text [, filename])      -> stmts | nil, msg, "ESYNTAX"
**       stmts[i] = { text=, pos=, line=, col=, comments = { "-- c", ... } }
**       stmts.delimiter = the "-- atlas:delimiter" value (unescaped), if any
**       msg = "FILE:LINE:COL: unclosed quote \"'\"" (no "FILE:" without a
**       filename); the position is the opening token's.
**   sql.directives(text [, filename]) -> d | nil, msg, "EDIRECTIVE"
**       d = { txmode = "none"|"file"|nil, nolint = {..}|true|nil,
**             checkpoint = tag|true|nil, sum = arg|nil, delimiter = d|nil,
**             list = { {name=, arg=, line=}, ... } }
**   sql.stmt_directives(stmt)         -> { nolint = {..}|true|nil,
**             <name> = arg|true, list = { {name=, arg=}, ... } }
**   sql.quote_ident(s)                -> "\"s\"" with " doubled
**   sql.quote_literal(s)              -> "'s'" with ' doubled
**
** Out of memory inside the scanner gives nil, "out of memory", "ENOMEM".
*/
#include "common.h"
#include "sqlsplit.h"

#include <stdlib.h>
#include <string.h>

#define RESULT_CLASS "dbhost.sql.result"

/* The scanner's result lives in a userdata so that a Lua error raised while
** we build the tables (out of memory) cannot leak it. */
typedef struct result_box {
  sqlsplit_result *r;
} result_box;

/* Free the scanner's arrays now (idempotent: the box is then empty). */
static void box_free(result_box *box) {
  if (box->r) {
    sqlsplit_free(box->r);
    free(box->r);
    box->r = NULL;
  }
}

/* __gc / __close of the result box: free the scanner's arrays. */
static int result_gc(lua_State *L) {
  box_free(luaL_checkudata(L, 1, RESULT_CLASS));
  return 0;
}

/* Push Go's %q rendering of [p, p+len). */
static void push_goquote(lua_State *L, const char *p, size_t len) {
  luaL_Buffer b;
  size_t need = sqlsplit_goquote(NULL, p, len);
  char *dst = luaL_buffinitsize(L, &b, need);
  sqlsplit_goquote(dst, p, len);
  luaL_pushresultsize(&b, need);
}

/* sql.split(text [, filename]) -> stmts | nil, msg, code */
static int sql_split(lua_State *L) {
  size_t len;
  const char *src = luaL_checklstring(L, 1, &len);
  const char *fname = luaL_optstring(L, 2, NULL);
  lua_settop(L, 2);
  result_box *box = lua_newuserdatauv(L, sizeof *box, 0);
  box->r = NULL;
  luaL_setmetatable(L, RESULT_CLASS);
  box->r = calloc(1, sizeof *box->r);
  if (!box->r)
    return dbh_pushfail(L, "ENOMEM", "out of memory");
  sqlsplit_result *r = box->r;
  int rc = sqlsplit_split(src, len, r);
  if (rc == SQLSPLIT_ENOMEM) {
    box_free(box);
    return dbh_pushfail(L, "ENOMEM", "out of memory");
  }
  if (rc == SQLSPLIT_ESYNTAX) {
    luaL_pushfail(L);
    if (fname)
      lua_pushfstring(L, "%s:%I:%I: %s", fname, (lua_Integer)r->err_line,
                      (lua_Integer)r->err_col, r->err_msg);
    else
      lua_pushfstring(L, "%I:%I: %s", (lua_Integer)r->err_line,
                      (lua_Integer)r->err_col, r->err_msg);
    lua_pushliteral(L, "ESYNTAX");
    box_free(box);
    return 3;
  }
  /* the statements: every text is a range of the input string */
  lua_createtable(L, r->nstmts < (1u << 24) ? (int)r->nstmts : 0, 1);
  for (size_t i = 0; i < r->nstmts; i++) {
    const sqlsplit_stmt *st = &r->stmts[i];
    lua_createtable(L, 0, 5);
    lua_pushlstring(L, src + st->off, st->len);
    lua_setfield(L, -2, "text");
    lua_pushinteger(L, (lua_Integer)st->off);
    lua_setfield(L, -2, "pos");
    lua_pushinteger(L, (lua_Integer)st->line);
    lua_setfield(L, -2, "line");
    lua_pushinteger(L, (lua_Integer)st->col);
    lua_setfield(L, -2, "col");
    lua_createtable(L, st->ncomments < (1u << 24) ? (int)st->ncomments : 0, 0);
    for (size_t k = 0; k < st->ncomments; k++) {
      const sqlsplit_span *c = &r->comments[st->comment0 + k];
      lua_pushlstring(L, src + c->off, c->len);
      lua_rawseti(L, -2, (lua_Integer)k + 1);
    }
    lua_setfield(L, -2, "comments");
    lua_rawseti(L, -2, (lua_Integer)i + 1);
  }
  if (r->delimiter) {
    lua_pushlstring(L, r->delimiter, r->delimiter_len);
    lua_setfield(L, -2, "delimiter");
  }
  box_free(box);  /* free early; __gc would do it later anyway */
  return 1;
}

/* Push the unescaped delimiter [p, p+len) (no malloc: a Lua buffer). */
static void push_unescaped(lua_State *L, const char *p, size_t len) {
  luaL_Buffer b;
  luaL_buffinit(L, &b);
  for (size_t i = 0; i < len; i++) {
    if (p[i] == '\\' && i + 1 < len &&
        (p[i + 1] == 'n' || p[i + 1] == 'r' || p[i + 1] == 't')) {
      luaL_addchar(&b, p[i + 1] == 'n' ? '\n' : p[i + 1] == 'r' ? '\r' : '\t');
      i++;
    } else {
      luaL_addchar(&b, p[i]);
    }
  }
  luaL_pushresult(&b);
}

/* Is directive d (parsed from p) named name? */
static int name_is(const char *p, const sqlsplit_directive *d,
                   const char *name) {
  size_t k = strlen(name);
  return d->name_len == k && memcmp(p + d->name_off, name, k) == 0;
}

/* Append the whitespace-separated words of [p, p+len) to the table at t. */
static void add_words(lua_State *L, int t, const char *p, size_t len) {
  size_t i = 0;
  lua_Integer n = (lua_Integer)lua_rawlen(L, t);
  while (i < len) {
    while (i < len && (p[i] == ' ' || (p[i] >= '\t' && p[i] <= '\r')))
      i++;
    size_t b = i;
    while (i < len && !(p[i] == ' ' || (p[i] >= '\t' && p[i] <= '\r')))
      i++;
    if (i > b) {
      lua_pushlstring(L, p + b, i - b);
      lua_rawseti(L, t, ++n);
    }
  }
}

/*
** Record directive d of line p in the result table at res: list entry,
** nolint words (table at nl, or res.nolint = true), first value of other
** names. line < 1 omits the line field.
*/
static void add_directive(lua_State *L, int res, int list, int nl,
                          const char *p, const sqlsplit_directive *d,
                          lua_Integer line, int *nolint_all) {
  lua_createtable(L, 0, 3);
  lua_pushlstring(L, p + d->name_off, d->name_len);
  lua_setfield(L, -2, "name");
  lua_pushlstring(L, p + d->arg_off, d->arg_len);
  lua_setfield(L, -2, "arg");
  if (line > 0) {
    lua_pushinteger(L, line);
    lua_setfield(L, -2, "line");
  }
  lua_rawseti(L, list, (lua_Integer)lua_rawlen(L, list) + 1);
  if (name_is(p, d, "nolint")) {
    if (d->arg_len == 0)
      *nolint_all = 1;
    else
      add_words(L, nl, p + d->arg_off, d->arg_len);
    return;
  }
  /* txmode is checked by the caller; sum and delimiter count on line 1 only */
  if (name_is(p, d, "list") || name_is(p, d, "txmode") || name_is(p, d, "sum") ||
      name_is(p, d, "delimiter"))
    return;
  lua_pushlstring(L, p + d->name_off, d->name_len);
  if (lua_rawget(L, res) == LUA_TNIL) {
    lua_pushlstring(L, p + d->name_off, d->name_len);
    if (d->arg_len)
      lua_pushlstring(L, p + d->arg_off, d->arg_len);
    else
      lua_pushboolean(L, 1);
    lua_rawset(L, res);
  }
  lua_pop(L, 1);
}

/* Set res.nolint from the collected words (table at nl) or the flag. */
static void set_nolint(lua_State *L, int res, int nl, int all) {
  if (all)
    lua_pushboolean(L, 1);
  else if (lua_rawlen(L, nl) > 0)
    lua_pushvalue(L, nl);
  else
    return;
  lua_setfield(L, res, "nolint");
}

/*
** sql.directives(text [, filename]) -> d | nil, msg, code
** File directives come from the comment block at the top of the file (see
** sqlsplit_file_comment_block); each trimmed line is matched with Atlas's
** regex, any prefix. atlas:sum (any prefix) and atlas:delimiter (prefix
** "-- ") are read from line 1 of the file whatever follows it. txmode is
** validated like Atlas's txmodeFor; filename only appears in messages.
*/
static int sql_directives(lua_State *L) {
  size_t len, flen;
  const char *src = luaL_checklstring(L, 1, &len);
  const char *fname = luaL_optlstring(L, 2, "", &flen);
  sqlsplit_directive d;
  int nolint_all = 0;
  lua_settop(L, 2);
  lua_createtable(L, 0, 7);  /* 3: result */
  lua_newtable(L);           /* 4: list */
  lua_newtable(L);           /* 5: nolint words */
  lua_newtable(L);           /* 6: txmode args as offset, length pairs */
  /* line 1 of the whole text: atlas:sum (any prefix), atlas:delimiter */
  if (sqlsplit_parse_directive(src, len, &d)) {
    if (name_is(src, &d, "sum")) {
      lua_pushlstring(L, src + d.arg_off, d.arg_len);
      lua_setfield(L, 3, "sum");
    } else if (name_is(src, &d, "delimiter") && d.prefix_len == 3 &&
               memcmp(src, "-- ", 3) == 0 && d.arg_len > 0) {
      push_unescaped(L, src + d.arg_off, d.arg_len);
      lua_setfield(L, 3, "delimiter");
    }
  }
  /* the file-directive comment block */
  size_t end, i = 0;
  lua_Integer line = 1;
  if (sqlsplit_file_comment_block(src, len, &end)) {
    while (i < end) {
      const char *nl = memchr(src + i, '\n', end - i);
      size_t e = nl ? (size_t)(nl - src) : end, off = i, l = e - i;
      if (nl)  /* Atlas trims every line but an unterminated last one */
        sqlsplit_trim(src, &off, &l);
      if (sqlsplit_parse_directive(src + off, l, &d)) {
        add_directive(L, 3, 4, 5, src + off, &d, line, &nolint_all);
        if (name_is(src + off, &d, "txmode")) {
          lua_Integer k = (lua_Integer)lua_rawlen(L, 6);
          lua_pushinteger(L, (lua_Integer)(off + d.arg_off));
          lua_rawseti(L, 6, k + 1);
          lua_pushinteger(L, (lua_Integer)d.arg_len);
          lua_rawseti(L, 6, k + 2);
        }
      }
      i = nl ? e + 1 : end;
      line++;
    }
  }
  lua_pushvalue(L, 4);
  lua_setfield(L, 3, "list");
  set_nolint(L, 3, 5, nolint_all);
  /* txmode: exactly Atlas's checks and messages */
  lua_Integer ntx = (lua_Integer)lua_rawlen(L, 6) / 2;
  if (ntx == 0)
    goto done;
  if (ntx > 1) {
    luaL_Buffer b;
    luaL_pushfail(L);
    luaL_buffinit(L, &b);
    luaL_addstring(&b, "multiple txmode values found in file ");
    push_goquote(L, fname, flen);
    luaL_addvalue(&b);
    luaL_addstring(&b, ": [");
    for (lua_Integer k = 0; k < ntx; k++) {
      lua_rawgeti(L, 6, 2 * k + 1);
      size_t off = (size_t)lua_tointeger(L, -1);
      lua_rawgeti(L, 6, 2 * k + 2);
      size_t l = (size_t)lua_tointeger(L, -1);
      lua_pop(L, 2);
      if (k > 0)
        luaL_addchar(&b, ' ');
      push_goquote(L, src + off, l);
      luaL_addvalue(&b);
    }
    luaL_addchar(&b, ']');
    luaL_pushresult(&b);
    lua_pushliteral(L, "EDIRECTIVE");
    return 3;
  }
  lua_rawgeti(L, 6, 1);
  size_t off = (size_t)lua_tointeger(L, -1);
  lua_rawgeti(L, 6, 2);
  size_t l = (size_t)lua_tointeger(L, -1);
  lua_pop(L, 2);
  if ((l == 4 && memcmp(src + off, "none", 4) == 0) ||
      (l == 4 && memcmp(src + off, "file", 4) == 0)) {
    lua_pushlstring(L, src + off, l);
    lua_setfield(L, 3, "txmode");
    goto done;
  }
  luaL_pushfail(L);
  if (l == 3 && memcmp(src + off, "all", 3) == 0) {
    lua_pushliteral(L, "txmode \"all\" is not allowed in file directive ");
    push_goquote(L, fname, flen);
    lua_pushliteral(L, ". Use \"file\" instead");
    lua_concat(L, 3);
  } else {
    lua_pushliteral(L, "unknown txmode ");
    push_goquote(L, src + off, l);
    lua_pushliteral(L, " found in file directive ");
    push_goquote(L, fname, flen);
    lua_concat(L, 4);
  }
  lua_pushliteral(L, "EDIRECTIVE");
  return 3;
done:
  lua_settop(L, 3);
  return 1;
}

/* sql.stmt_directives(stmt) -> { nolint = {..}|true, <name> = arg|true, list = {..} } */
static int sql_stmt_directives(lua_State *L) {
  int nolint_all = 0;
  luaL_checktype(L, 1, LUA_TTABLE);
  lua_settop(L, 1);
  if (lua_getfield(L, 1, "comments") != LUA_TTABLE) {  /* 2: comments */
    lua_pop(L, 1);
    lua_pushvalue(L, 1);  /* a plain list of comment strings */
  }
  lua_newtable(L);  /* 3: result */
  lua_newtable(L);  /* 4: list */
  lua_newtable(L);  /* 5: nolint words */
  /* Atlas's Stmt.Directive: a one-line block comment needs the prefix
  ** "/" "*" exactly; line comments may use "#", "--" or "-- " */
  lua_Integer n = (lua_Integer)lua_rawlen(L, 2);
  for (lua_Integer k = 1; k <= n; k++) {
    size_t len;
    lua_rawgeti(L, 2, k);
    const char *c = lua_tolstring(L, -1, &len);
    sqlsplit_directive d;
    if (c) {
      if (len >= 2 && c[0] == '/' && c[1] == '*' && !memchr(c, '\n', len)) {
        size_t l = len;
        if (l >= 2 && c[l - 2] == '*' && c[l - 1] == '/')
          l -= 2;  /* the directive needs the exact prefix "/" "*" */
        if (sqlsplit_parse_directive(c, l, &d) && d.prefix_len == 2)
          add_directive(L, 3, 4, 5, c, &d, 0, &nolint_all);
      } else if (sqlsplit_parse_directive(c, len, &d) &&
                 ((d.prefix_len == 1 && c[0] == '#') ||
                  (d.prefix_len == 2 && c[0] == '-' && c[1] == '-') ||
                  (d.prefix_len == 3 && memcmp(c, "-- ", 3) == 0))) {
        add_directive(L, 3, 4, 5, c, &d, 0, &nolint_all);
      }
    }
    lua_pop(L, 1);
  }
  lua_pushvalue(L, 4);
  lua_setfield(L, 3, "list");
  set_nolint(L, 3, 5, nolint_all);
  lua_settop(L, 3);
  return 1;
}

/* Quote s between q characters, doubling q; NUL bytes are rejected. */
static int push_quoted(lua_State *L, char q) {
  size_t len;
  const char *s = luaL_checklstring(L, 1, &len);
  luaL_Buffer b;
  luaL_argcheck(L, memchr(s, '\0', len) == NULL, 1,
                "string contains a NUL byte");
  luaL_buffinitsize(L, &b, len + 2);
  luaL_addchar(&b, q);
  for (size_t i = 0; i < len; i++) {
    if (s[i] == q)
      luaL_addchar(&b, q);
    luaL_addchar(&b, s[i]);
  }
  luaL_addchar(&b, q);
  luaL_pushresult(&b);
  return 1;
}

/* sql.quote_ident(s) -> "\"s\"" */
static int sql_quote_ident(lua_State *L) {
  return push_quoted(L, '"');
}

/* sql.quote_literal(s) -> "'s'" (standard_conforming_strings on) */
static int sql_quote_literal(lua_State *L) {
  return push_quoted(L, '\'');
}

/* require "dbhost.sql": the result-box class, then the functions. */
int luaopen_dbhost_sql(lua_State *L);

int luaopen_dbhost_sql(lua_State *L) {
  static const luaL_Reg no_methods[] = {{NULL, NULL}};
  static const luaL_Reg funcs[] = {
      {"split", sql_split},
      {"directives", sql_directives},
      {"stmt_directives", sql_stmt_directives},
      {"quote_ident", sql_quote_ident},
      {"quote_literal", sql_quote_literal},
      {NULL, NULL}};
  dbh_newclass(L, RESULT_CLASS, no_methods, result_gc);
  lua_pop(L, 1);
  luaL_newlib(L, funcs);
  return 1;
}
