/*
** hash.c: the dbhost.hash module, SHA-256 and Atlas's atlas.sum.
**
**   hash.sha256(data)          -> 32-byte raw digest
**   hash.hex(raw)              -> lowercase hex
**   hash.base64(raw)           -> standard base64 with padding
**   hash.new()                 -> hasher ("dbhost.hash.sha256")
**     h:update(s) -> h;  h:digest() -> raw (does not reset);  h:close()
**   hash.atlas_sum(dir)        -> text, entries | nil, msg, code
**   hash.atlas_sum_of(files)   -> text, entries | nil, msg, code
**   hash.parse_sum(text [, filename]) -> { total=, entries={...} } | nil, msg, code
**   hash.validate(dir)         -> true | nil, err
**
** entries = { {name=, hash=}, ..., total = "<base64>" } (hash without "h1:").
** The algorithm itself is in atlassum.c, shared with the tests and the fuzz
** target; this file only converts between Lua and C. All C-side memory of
** the directory functions lives in a "dbhost.hash.work" userdata, so a raise
** (out of memory, interrupt) never leaks it.
*/
#include "common.h"
#include "atlassum.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#define HASHER "dbhost.hash.sha256"
#define WORK "dbhost.hash.work"

/* ---- plain SHA-256 and encodings ---------------------------------------- */

/* hash.sha256(data) -> 32-byte raw digest | nil, msg, "ECRYPTO" */
static int hash_sha256(lua_State *L) {
  size_t n;
  const char *s = luaL_checklstring(L, 1, &n);
  unsigned char md[32];
  if (as_sha256(s, n, md) != 0)
    return dbh_pushfail(L, "ECRYPTO", "%s", as_kind_message(AS_ECRYPTO));
  lua_pushlstring(L, (const char *)md, 32);
  return 1;
}

/* hash.hex(raw) -> lowercase hex string */
static int hash_hex(lua_State *L) {
  size_t n;
  const char *s = luaL_checklstring(L, 1, &n);
  luaL_Buffer b;
  char *p = luaL_buffinitsize(L, &b, 2 * n + 1);
  as_hex((const unsigned char *)s, n, p);
  luaL_pushresultsize(&b, 2 * n);
  return 1;
}

/* hash.base64(raw) -> standard base64 with '=' padding */
static int hash_base64(lua_State *L) {
  size_t n;
  const char *s = luaL_checklstring(L, 1, &n);
  luaL_Buffer b;
  char *p = luaL_buffinitsize(L, &b, 4 * ((n + 2) / 3) + 1);
  size_t len = as_base64((const unsigned char *)s, n, p);
  luaL_pushresultsize(&b, len);
  return 1;
}

/* ---- the streaming hasher ------------------------------------------------ */

typedef struct hasher {
  EVP_MD_CTX *ctx;  /* NULL once closed */
} hasher;

static EVP_MD_CTX *check_hasher(lua_State *L) {
  hasher *h = luaL_checkudata(L, 1, HASHER);
  if (!h->ctx)
    luaL_error(L, "attempt to use a closed hasher");
  return h->ctx;
}

/* h:close() / __gc / __close: idempotent */
static int hasher_close(lua_State *L) {
  hasher *h = luaL_checkudata(L, 1, HASHER);
  EVP_MD_CTX_free(h->ctx);
  h->ctx = NULL;
  return 0;
}

/* h:update(s) -> h */
static int hasher_update(lua_State *L) {
  EVP_MD_CTX *ctx = check_hasher(L);
  size_t n;
  const char *s = luaL_checklstring(L, 2, &n);
  if (EVP_DigestUpdate(ctx, s, n) != 1)
    return luaL_error(L, "%s", as_kind_message(AS_ECRYPTO));
  lua_settop(L, 1);
  return 1;
}

/* h:digest() -> 32-byte raw digest of everything so far (like Go's Sum(nil)) */
static int hasher_digest(lua_State *L) {
  EVP_MD_CTX *ctx = check_hasher(L);
  unsigned char md[32];
  unsigned int len = 0;
  EVP_MD_CTX *tmp = EVP_MD_CTX_new();
  int ok = tmp && EVP_MD_CTX_copy_ex(tmp, ctx) == 1 &&
           EVP_DigestFinal_ex(tmp, md, &len) == 1 && len == 32;
  EVP_MD_CTX_free(tmp);
  if (!ok)
    return luaL_error(L, "%s", as_kind_message(AS_ECRYPTO));
  lua_pushlstring(L, (const char *)md, 32);
  return 1;
}

/* hash.new() -> hasher */
static int hash_new(lua_State *L) {
  hasher *h = lua_newuserdatauv(L, sizeof *h, 0);
  h->ctx = NULL;
  luaL_setmetatable(L, HASHER);
  h->ctx = EVP_MD_CTX_new();
  if (!h->ctx)
    return luaL_error(L, "not enough memory");
  if (EVP_DigestInit_ex(h->ctx, EVP_sha256(), NULL) != 1)
    return luaL_error(L, "%s", as_kind_message(AS_ECRYPTO));  /* __gc frees */
  return 1;
}

/* ---- atlas.sum ----------------------------------------------------------- */

/* __gc for the work area */
static int work_gc(lua_State *L) {
  as_work *w = luaL_checkudata(L, 1, WORK);
  as_work_free(w);
  return 0;
}

/* A zeroed work area owned by Lua (left on the stack). */
static as_work *new_work(lua_State *L) {
  as_work *w = lua_newuserdatauv(L, sizeof *w, 0);
  memset(w, 0, sizeof *w);
  luaL_setmetatable(L, WORK);
  return w;
}

/* Operational failure of atlas_sum / atlas_sum_of: nil, msg, code. An
** interrupt raises (the work area is Lua's to free). */
static int push_failure(lua_State *L, as_work *w, const as_error *e) {
  as_work_free(w);
  switch (e->kind) {
    case AS_EINTR:
      return dbh_raise_interrupted(L);
    case AS_ERRNO:
      return dbh_pusherrno(L, e->file, e->err);
    default:
      return dbh_pushfail(L, as_kind_code(e), "%s", as_kind_message(e->kind));
  }
}

/* Push { {name=, hash= [, line=]}, ... [, total=] } for a list; parsed
** lists carry line numbers, computed ones the total. */
static void push_entries(lua_State *L, const as_list *l, int parsed) {
  lua_createtable(L, (int)l->n, parsed ? 0 : 1);
  for (size_t i = 0; i < l->n; i++) {
    lua_createtable(L, 0, parsed ? 3 : 2);
    lua_pushlstring(L, as_entry_name(l, i), l->v[i].name_len);
    lua_setfield(L, -2, "name");
    lua_pushlstring(L, as_entry_hash(l, i), l->v[i].hash_len);
    lua_setfield(L, -2, "hash");
    if (parsed) {
      lua_pushinteger(L, (lua_Integer)l->v[i].line);
      lua_setfield(L, -2, "line");
    }
    lua_rawseti(L, -2, (lua_Integer)i + 1);
  }
  if (!parsed) {
    lua_pushstring(L, l->total);
    lua_setfield(L, -2, "total");
  }
}

/* Push the atlas.sum text of w->computed and its entries; returns 2. */
static int push_sum(lua_State *L, as_work *w) {
  w->text.len = 0;
  if (as_render(&w->computed, &w->text) != 0) {
    as_error e = {.kind = AS_ENOMEM};
    return push_failure(L, w, &e);
  }
  lua_pushlstring(L, w->text.data, w->text.len);
  push_entries(L, &w->computed, 0);
  as_work_free(w);
  return 2;
}

/* hash.atlas_sum(dir) -> text, entries | nil, msg, code */
static int hash_atlas_sum(lua_State *L) {
  const char *dir = luaL_checkstring(L, 1);
  as_work *w = new_work(L);
  as_error e;
  if (as_compute_dir(w, dir, &e) != 0)
    return push_failure(L, w, &e);
  return push_sum(L, w);
}

/* One in-memory file of atlas_sum_of; the strings belong to the caller's
** tables, which stay alive (and unchanged: no Lua code runs) meanwhile. */
typedef struct mem_file {
  const char *name, *data;
  size_t name_len, len;
} mem_file;

static int cmp_mem_files(const void *a, const void *b) {
  const mem_file *x = a, *y = b;
  size_t n = x->name_len < y->name_len ? x->name_len : y->name_len;
  int c = memcmp(x->name, y->name, n);
  if (c != 0)
    return c;
  return (x->name_len > y->name_len) - (x->name_len < y->name_len);
}

/* A string field of files[i], read raw (no metamethods); raises if absent. */
static const char *mem_field(lua_State *L, lua_Integer i, const char *key, size_t *len) {
  lua_pushstring(L, key);
  if (lua_rawget(L, -2) != LUA_TSTRING)
    luaL_error(L, "bad argument #1 to 'atlas_sum_of' (files[%d].%s must be a string)",
               (int)i, key);
  const char *s = lua_tolstring(L, -1, len);
  lua_pop(L, 1);
  return s;
}

/*
** hash.atlas_sum_of(files) -> text, entries | nil, msg, code
** files = { {name=, data=}, ... }: the same algorithm on in-memory contents.
** Like Atlas's MemDir, only names ending in ".sql" count and they are hashed
** in byte order (sorted here, so callers need not). Duplicate names raise.
*/
static int hash_atlas_sum_of(lua_State *L) {
  luaL_checktype(L, 1, LUA_TTABLE);
  lua_Integer n = (lua_Integer)lua_rawlen(L, 1);
  /* Lua-owned scratch: raising below leaks nothing. */
  mem_file *files = lua_newuserdatauv(L, (size_t)(n > 0 ? n : 1) * sizeof *files, 0);
  size_t count = 0;
  for (lua_Integer i = 1; i <= n; i++) {
    if (lua_rawgeti(L, 1, i) != LUA_TTABLE)
      return luaL_error(L, "bad argument #1 to 'atlas_sum_of' (files[%d] must be a table)",
                        (int)i);
    mem_file f;
    f.name = mem_field(L, i, "name", &f.name_len);
    f.data = mem_field(L, i, "data", &f.len);
    lua_pop(L, 1);
    if (f.name_len >= 4 && memcmp(f.name + f.name_len - 4, ".sql", 4) == 0)
      files[count++] = f;
  }
  qsort(files, count, sizeof *files, cmp_mem_files);
  for (size_t i = 1; i < count; i++)
    if (cmp_mem_files(&files[i - 1], &files[i]) == 0)
      return luaL_error(L, "bad argument #1 to 'atlas_sum_of' (duplicate file name '%s')",
                        files[i].name);
  as_work *w = new_work(L);
  as_error e = {.kind = AS_OK};
  if (as_run_init(&w->run) != 0) {
    e.kind = AS_ECRYPTO;
    return push_failure(L, w, &e);
  }
  for (size_t i = 0; i < count; i++)
    if (as_run_add(&w->run, &w->computed, files[i].name, files[i].name_len,
                   files[i].data, files[i].len, &e) != 0)
      return push_failure(L, w, &e);
  if (as_list_total(&w->computed) != 0) {
    e.kind = AS_ECRYPTO;
    return push_failure(L, w, &e);
  }
  return push_sum(L, w);
}

/* The located message of a parse error ("atlas.sum:3: ..."). */
static const char *push_parse_message(lua_State *L, const char *filename, const as_error *e) {
  if (e->kind == AS_EFORMAT)
    return lua_pushfstring(L, "%s:%d: %s: expected \"<file> h1:<hash>\"", filename,
                           (int)e->line, as_kind_message(AS_EFORMAT));
  if (e->kind == AS_EMISMATCH)
    return lua_pushfstring(L, "%s: %s: the total on line 1 does not match the file's lines",
                           filename, as_kind_message(AS_EMISMATCH));
  return lua_pushstring(L, as_kind_message(e->kind));
}

/*
** hash.parse_sum(text [, filename]) -> { total=, entries={ {name=, hash=, line=}, ... } }
**   | nil, msg, code   (code "EFORMAT" or "EMISMATCH"; filename names the
**   file in messages, "atlas.sum" by default)
*/
static int hash_parse_sum(lua_State *L) {
  size_t len;
  const char *text = luaL_checklstring(L, 1, &len);
  const char *filename = luaL_optstring(L, 2, "atlas.sum");
  as_work *w = new_work(L);
  as_error e;
  if (as_parse(text, len, &w->recorded, &e) != 0) {
    as_work_free(w);
    luaL_pushfail(L);
    push_parse_message(L, filename, &e);
    lua_pushstring(L, as_kind_code(&e));
    return 3;
  }
  lua_createtable(L, 0, 2);
  lua_pushstring(L, w->recorded.total);
  lua_setfield(L, -2, "total");
  push_entries(L, &w->recorded, 1);
  lua_setfield(L, -2, "entries");
  as_work_free(w);
  return 1;
}

/* Set t.key = integer for the table on top of the stack. */
static void set_int(lua_State *L, const char *key, size_t v) {
  lua_pushinteger(L, (lua_Integer)v);
  lua_setfield(L, -2, key);
}

/*
** hash.validate(dir) -> true | nil, err
** err = { code = "ENOTFOUND"|"EFORMAT"|"EMISMATCH"|errno name,
**         message = "checksum file not found" | "checksum mismatch" (Atlas's
**           text) | the parse_sum message for an atlas.sum that is
**           malformed or disagrees with itself ("atlas.sum:3: ...", line set)
**           | "<path>: <strerror>" for a system error,
**         reason = "added"|"edited"|"removed"|nil, line =, file =, pos =,
**         detail = "L3: x.sql was added" (with a reason) }
** A missing atlas.sum with no .sql files is fine (true).
*/
static int hash_validate(lua_State *L) {
  const char *dir = luaL_checkstring(L, 1);
  as_work *w = new_work(L);
  as_error e;
  if (as_validate_dir(w, dir, &e) == 0) {
    as_work_free(w);
    lua_pushboolean(L, 1);
    return 1;
  }
  as_work_free(w);
  if (e.kind == AS_EINTR)
    return dbh_raise_interrupted(L);
  luaL_pushfail(L);
  lua_createtable(L, 0, 7);
  lua_pushstring(L, as_kind_code(&e));
  lua_setfield(L, -2, "code");
  int parse_error = e.kind == AS_EFORMAT || (e.kind == AS_EMISMATCH && e.from_parse);
  if (e.kind == AS_ERRNO)
    lua_pushfstring(L, "%s: %s", e.file, strerror(e.err));
  else if (parse_error)
    push_parse_message(L, "atlas.sum", &e);
  else
    lua_pushstring(L, as_kind_message(e.kind));
  lua_setfield(L, -2, "message");
  if (parse_error) {
    set_int(L, "line", e.line);
    if (e.kind == AS_EFORMAT)
      set_int(L, "pos", e.pos);
  } else if (e.kind == AS_EMISMATCH && e.reason != AS_REASON_NONE) {
    const char *reason = as_reason_name(e.reason);
    lua_pushfstring(L, "L%d: %s was %s", (int)e.line, e.file, reason);
    lua_setfield(L, -2, "detail");
    lua_pushstring(L, reason);
    lua_setfield(L, -2, "reason");
    lua_pushstring(L, e.file);
    lua_setfield(L, -2, "file");
    set_int(L, "line", e.line);
    set_int(L, "pos", e.pos);
  }
  return 2;
}

static const luaL_Reg hasher_methods[] = {
  {"update", hasher_update},
  {"digest", hasher_digest},
  {"close", hasher_close},
  {NULL, NULL}
};

static const luaL_Reg work_methods[] = {
  {NULL, NULL}
};

static const luaL_Reg hash_funcs[] = {
  {"sha256", hash_sha256},
  {"hex", hash_hex},
  {"base64", hash_base64},
  {"new", hash_new},
  {"atlas_sum", hash_atlas_sum},
  {"atlas_sum_of", hash_atlas_sum_of},
  {"parse_sum", hash_parse_sum},
  {"validate", hash_validate},
  {NULL, NULL}
};

int luaopen_dbhost_hash(lua_State *L);
int luaopen_dbhost_hash(lua_State *L) {
  dbh_newclass(L, HASHER, hasher_methods, hasher_close);
  lua_pop(L, 1);
  dbh_newclass(L, WORK, work_methods, work_gc);
  lua_pop(L, 1);
  luaL_newlib(L, hash_funcs);
  return 1;
}
