/*
** sigv4.c: the dbhost.sigv4 module, AWS Signature Version 4 over OpenSSL.
**
**   sigv4.sign(req) -> result
**
** req (every string field is raw bytes; nothing is read from the environment):
**   method        "GET", "POST", ...
**   path          the path as sent on the wire ("/" when empty); it is
**                 URI-encoded once more for the canonical request (as AWS
**                 does for every service but S3), `/` kept
**   query         the query string as sent, without "?" (optional); pairs are
**                 percent-decoded, re-encoded and sorted
**   headers       array of { name, value } pairs in the order they are sent
**                 (Host included); duplicates are joined with ","
**   body          the payload (default "")
**   payload_hash  hex SHA-256 to use instead of hashing body (e.g. "UNSIGNED-PAYLOAD")
**   access_key, secret_key, session_token (optional), region, service
**   time          Unix seconds (integer)
**   mode          "header" (default) or "query" (a presigned URL)
**   expires       seconds, query mode (default 900)
**   normalize     resolve "." / ".." and repeated "/" in the path (default true)
**   sign_body     header mode: add and sign x-amz-content-sha256 (default false)
**   omit_session_token  add the token after signing, unsigned (default false)
**
** result:
**   canonical_request, string_to_sign, signature, signed_headers, scope, amz_date
**   header mode: headers = { {name, value}, ... } to add to the request, the
**                last one being Authorization; authorization = its value
**   query mode:  query = the signed query string (X-Amz-Signature last)
**
** Misuse (a missing or mistyped field) raises. All working memory is Lua's
** (strings in an anchor table, arrays in userdata), so a raise leaks nothing.
*/
#include "common.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>

#define ALGORITHM "AWS4-HMAC-SHA256"

/* A borrowed byte string (kept alive by the anchor table). */
typedef struct {
  const char *s;
  size_t n;
} str;

/* A canonical header or query pair; `order` keeps duplicates in sent order. */
typedef struct {
  str key, value;
  size_t order;
} pair;

/* ---------------------------------------------------------------- helpers */

static void hex_encode(const unsigned char *p, size_t n, char *out) {
  static const char digits[] = "0123456789abcdef";
  for (size_t i = 0; i < n; i++) {
    out[2 * i] = digits[p[i] >> 4];
    out[2 * i + 1] = digits[p[i] & 15];
  }
  out[2 * n] = '\0';
}

static void sha256_hex(const char *s, size_t n, char out[65]) {
  unsigned char md[SHA256_DIGEST_LENGTH];
  SHA256((const unsigned char *)s, n, md);
  hex_encode(md, sizeof md, out);
}

/* HMAC-SHA256(key, data) into out (32 bytes); 0 on an OpenSSL failure. */
static int hmac(const unsigned char *key, size_t klen, const char *data, size_t n, unsigned char out[32]) {
  unsigned int len = 0;
  return HMAC(EVP_sha256(), key, (int)klen, (const unsigned char *)data, n, out, &len) != NULL && len == 32;
}

static int unreserved(unsigned char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '_' || c == '.' || c == '~';
}

/* Append s percent-encoded (uppercase hex); `keep_slash` leaves '/' alone. */
static void add_encoded(luaL_Buffer *b, const char *s, size_t n, int keep_slash) {
  static const char digits[] = "0123456789ABCDEF";
  for (size_t i = 0; i < n; i++) {
    unsigned char c = (unsigned char)s[i];
    if (unreserved(c) || (keep_slash && c == '/')) {
      luaL_addchar(b, (char)c);
    } else {
      luaL_addchar(b, '%');
      luaL_addchar(b, digits[c >> 4]);
      luaL_addchar(b, digits[c & 15]);
    }
  }
}

/* An HTTP token character (RFC 9110 tchar), what header names are made of. */
static int tchar(unsigned char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
         (c != 0 && strchr("!#$%&'*+-.^_`|~", c) != NULL);
}

static int hexval(int c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

/* Push s with %XX escapes decoded (a malformed escape stays as it is). */
static void push_decoded(lua_State *L, const char *s, size_t n) {
  luaL_Buffer b;
  luaL_buffinit(L, &b);
  for (size_t i = 0; i < n; i++) {
    int hi, lo;
    if (s[i] == '%' && i + 2 < n && (hi = hexval(s[i + 1])) >= 0 && (lo = hexval(s[i + 2])) >= 0) {
      luaL_addchar(&b, (char)(hi * 16 + lo));
      i += 2;
    } else {
      luaL_addchar(&b, s[i]);
    }
  }
  luaL_pushresult(&b);
}

/* Keep the string at the top in the anchor table at `anchor`; return a view of it. */
static str anchor_top(lua_State *L, int anchor) {
  str v;
  v.s = lua_tolstring(L, -1, &v.n);
  lua_rawseti(L, anchor, (lua_Integer)luaL_len(L, anchor) + 1);
  return v;
}

static int cmp_str(str a, str b) {
  size_t n = a.n < b.n ? a.n : b.n;
  int c = memcmp(a.s, b.s, n);
  if (c != 0) return c;
  return a.n < b.n ? -1 : a.n > b.n;
}

/* Headers: by name, then in the order sent. */
static int cmp_header(const void *pa, const void *pb) {
  const pair *a = pa, *b = pb;
  int c = cmp_str(a->key, b->key);
  if (c != 0) return c;
  return a->order < b->order ? -1 : a->order > b->order;
}

/* Query pairs: by encoded key, then encoded value. */
static int cmp_query(const void *pa, const void *pb) {
  const pair *a = pa, *b = pb;
  int c = cmp_str(a->key, b->key);
  return c != 0 ? c : cmp_str(a->value, b->value);
}

/* ------------------------------------------------------------- request fields */

static const char *field_string(lua_State *L, int t, const char *name, size_t *n, const char *def) {
  int type = lua_getfield(L, t, name);
  const char *s;
  if (type == LUA_TNIL && def) {
    s = def;
    if (n) *n = strlen(def);
  } else if (type != LUA_TSTRING) {
    luaL_error(L, "bad argument #1 to 'sign' (field '%s': string expected, got %s)", name, luaL_typename(L, -1));
    return NULL;
  } else {
    s = lua_tolstring(L, -1, n);
  }
  lua_pop(L, 1); /* the string stays alive in the request table */
  return s;
}

static int field_bool(lua_State *L, int t, const char *name, int def) {
  int type = lua_getfield(L, t, name);
  int v = type == LUA_TNIL ? def : lua_toboolean(L, -1);
  if (type != LUA_TNIL && type != LUA_TBOOLEAN)
    luaL_error(L, "bad argument #1 to 'sign' (field '%s': boolean expected, got %s)", name, luaL_typename(L, -1));
  lua_pop(L, 1);
  return v;
}

static lua_Integer field_int(lua_State *L, int t, const char *name, lua_Integer def, int required) {
  int type = lua_getfield(L, t, name);
  lua_Integer v = def;
  if (type == LUA_TNIL) {
    if (required)
      luaL_error(L, "bad argument #1 to 'sign' (field '%s': integer expected, got nil)", name);
  } else {
    int ok;
    v = lua_tointegerx(L, -1, &ok);
    if (!ok)
      luaL_error(L, "bad argument #1 to 'sign' (field '%s': integer expected, got %s)", name, luaL_typename(L, -1));
  }
  lua_pop(L, 1);
  return v;
}

/* ----------------------------------------------------------- canonical parts */

/* Push the canonical URI of path (normalised when asked). */
static void push_canonical_path(lua_State *L, const char *path, size_t n, int normalize) {
  luaL_Buffer b;
  if (n == 0) {
    lua_pushliteral(L, "/");
    return;
  }
  if (!normalize) {
    luaL_buffinit(L, &b);
    if (path[0] != '/')
      luaL_addchar(&b, '/');
    add_encoded(&b, path, n, 1);
    luaL_pushresult(&b);
    return;
  }
  /* segments between slashes, with "", "." dropped and ".." popping one */
  str *segs = lua_newuserdatauv(L, (n / 1 + 1) * sizeof *segs, 0);
  size_t nseg = 0, i = 0;
  while (i <= n) {
    size_t j = i;
    while (j < n && path[j] != '/') j++;
    size_t len = j - i;
    if (len == 0 || (len == 1 && path[i] == '.')) {
      /* skip */
    } else if (len == 2 && path[i] == '.' && path[i + 1] == '.') {
      if (nseg > 0) nseg--;
    } else {
      segs[nseg].s = path + i;
      segs[nseg].n = len;
      nseg++;
    }
    i = j + 1;
  }
  int trailing = path[n - 1] == '/' ||
                 (n >= 2 && path[n - 1] == '.' && (path[n - 2] == '/' || (n >= 3 && path[n - 2] == '.' && path[n - 3] == '/')));
  luaL_buffinit(L, &b);
  for (size_t k = 0; k < nseg; k++) {
    luaL_addchar(&b, '/');
    add_encoded(&b, segs[k].s, segs[k].n, 0);
  }
  if (nseg == 0 || trailing)
    luaL_addchar(&b, '/');
  luaL_pushresult(&b);
  lua_remove(L, -2); /* the segment array */
}

/*
** Add query pairs from a raw query string to pairs[*np] (encoded, anchored).
** pairs has room for every '&'-separated piece.
*/
static void collect_query(lua_State *L, int anchor, const char *q, size_t n, pair *pairs, size_t *np) {
  size_t i = 0;
  while (i < n) {
    size_t j = i;
    while (j < n && q[j] != '&') j++;
    if (j > i) {
      size_t eq = i;
      while (eq < j && q[eq] != '=') eq++;
      luaL_Buffer b;
      push_decoded(L, q + i, eq - i);
      size_t dn;
      const char *d = lua_tolstring(L, -1, &dn);
      luaL_buffinit(L, &b);
      add_encoded(&b, d, dn, 0);
      luaL_pushresult(&b);
      lua_remove(L, -2);
      pairs[*np].key = anchor_top(L, anchor);
      size_t vs = eq < j ? eq + 1 : j;
      push_decoded(L, q + vs, j - vs);
      d = lua_tolstring(L, -1, &dn);
      luaL_buffinit(L, &b);
      add_encoded(&b, d, dn, 0);
      luaL_pushresult(&b);
      lua_remove(L, -2);
      pairs[*np].value = anchor_top(L, anchor);
      pairs[*np].order = *np;
      (*np)++;
    }
    i = j + 1;
  }
}

/* Add one query pair whose key and value are plain text. */
static void add_query_pair(lua_State *L, int anchor, const char *k, const char *v, size_t vn, pair *pairs, size_t *np) {
  luaL_Buffer b;
  luaL_buffinit(L, &b);
  add_encoded(&b, k, strlen(k), 0);
  luaL_pushresult(&b);
  pairs[*np].key = anchor_top(L, anchor);
  luaL_buffinit(L, &b);
  add_encoded(&b, v, vn, 0);
  luaL_pushresult(&b);
  pairs[*np].value = anchor_top(L, anchor);
  pairs[*np].order = *np;
  (*np)++;
}

/* Push the header value trimmed, with every run of white space made one space. */
static void push_header_value(lua_State *L, const char *v, size_t n) {
  luaL_Buffer b;
  luaL_buffinit(L, &b);
  int space = 0, any = 0;
  for (size_t i = 0; i < n; i++) {
    char c = v[i];
    if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
      space = any;
    } else {
      if (space) luaL_addchar(&b, ' ');
      luaL_addchar(&b, c);
      space = 0;
      any = 1;
    }
  }
  luaL_pushresult(&b);
}

static void push_lower(lua_State *L, const char *s, size_t n) {
  luaL_Buffer b;
  char *p = luaL_buffinitsize(L, &b, n);
  for (size_t i = 0; i < n; i++)
    p[i] = (s[i] >= 'A' && s[i] <= 'Z') ? (char)(s[i] - 'A' + 'a') : s[i];
  luaL_pushresultsize(&b, n);
}

static void add_header(lua_State *L, int anchor, const char *name, size_t nn, const char *value, size_t vn,
                       pair *h, size_t *nh) {
  push_lower(L, name, nn);
  h[*nh].key = anchor_top(L, anchor);
  push_header_value(L, value, vn);
  h[*nh].value = anchor_top(L, anchor);
  h[*nh].order = *nh;
  (*nh)++;
}

/* Push a {name, value} pair onto the array at index t. */
static void push_pair(lua_State *L, int t, const char *name, const char *value) {
  lua_createtable(L, 2, 0);
  lua_pushstring(L, name);
  lua_rawseti(L, -2, 1);
  lua_pushstring(L, value);
  lua_rawseti(L, -2, 2);
  lua_rawseti(L, t, (lua_Integer)luaL_len(L, t) + 1);
}

/* ------------------------------------------------------------------- sign */

static int sigv4_sign(lua_State *L) {
  luaL_checktype(L, 1, LUA_TTABLE);
  lua_settop(L, 1);
  size_t path_n, query_n, body_n, secret_n, token_n = 0;
  const char *method = field_string(L, 1, "method", NULL, NULL);
  const char *path = field_string(L, 1, "path", &path_n, "/");
  const char *query = field_string(L, 1, "query", &query_n, "");
  const char *body = field_string(L, 1, "body", &body_n, "");
  const char *access_key = field_string(L, 1, "access_key", NULL, NULL);
  const char *secret_key = field_string(L, 1, "secret_key", &secret_n, NULL);
  const char *region = field_string(L, 1, "region", NULL, NULL);
  const char *service = field_string(L, 1, "service", NULL, NULL);
  const char *mode = field_string(L, 1, "mode", NULL, "header");
  const char *token = NULL;
  if (lua_getfield(L, 1, "session_token") != LUA_TNIL)
    token = field_string(L, 1, "session_token", &token_n, NULL);
  lua_pop(L, 1);
  if (token && token_n == 0)
    token = NULL;
  const char *payload_hash = NULL;
  if (lua_getfield(L, 1, "payload_hash") != LUA_TNIL)
    payload_hash = field_string(L, 1, "payload_hash", NULL, NULL);
  lua_pop(L, 1);
  lua_Integer when = field_int(L, 1, "time", 0, 1);
  lua_Integer expires = field_int(L, 1, "expires", 900, 0);
  int normalize = field_bool(L, 1, "normalize", 1);
  int sign_body = field_bool(L, 1, "sign_body", 0);
  int omit_token = field_bool(L, 1, "omit_session_token", 0);
  int presign = strcmp(mode, "query") == 0;
  if (!presign && strcmp(mode, "header") != 0)
    return luaL_error(L, "bad argument #1 to 'sign' (field 'mode': \"header\" or \"query\" expected)");
  if (lua_getfield(L, 1, "headers") != LUA_TTABLE)
    return luaL_error(L, "bad argument #1 to 'sign' (field 'headers': table expected)");
  int hin = lua_gettop(L);
  size_t nin = (size_t)luaL_len(L, hin);

  lua_newtable(L);
  int anchor = lua_gettop(L);

  /* dates */
  time_t t = (time_t)when;
  struct tm tm;
  if (!gmtime_r(&t, &tm))
    return luaL_error(L, "bad argument #1 to 'sign' (field 'time' out of range)");
  char amz_date[32], date[16];
  strftime(amz_date, sizeof amz_date, "%Y%m%dT%H%M%SZ", &tm);
  strftime(date, sizeof date, "%Y%m%d", &tm);
  const char *scope = lua_pushfstring(L, "%s/%s/%s/aws4_request", date, region, service);
  anchor_top(L, anchor);

  char body_hash[65];
  if (payload_hash) {
    size_t n = strlen(payload_hash);
    if (n > 64) n = 64;
    memcpy(body_hash, payload_hash, n);
    body_hash[n] = '\0';
  } else {
    sha256_hex(body, body_n, body_hash);
  }

  /* headers: the caller's, then what signing adds */
  pair *h = lua_newuserdatauv(L, (nin + 4) * sizeof *h, 0);
  anchor_top(L, anchor);
  size_t nh = 0;
  for (size_t i = 1; i <= nin; i++) {
    if (lua_rawgeti(L, hin, (lua_Integer)i) != LUA_TTABLE)
      return luaL_error(L, "bad argument #1 to 'sign' (headers[%d]: {name, value} expected)", (int)i);
    lua_rawgeti(L, -1, 1);
    lua_rawgeti(L, -2, 2);
    size_t nn, vn;
    const char *name = lua_tolstring(L, -2, &nn), *value = lua_tolstring(L, -1, &vn);
    if (!name || !value)
      return luaL_error(L, "bad argument #1 to 'sign' (headers[%d]: {name, value} strings expected)", (int)i);
    for (size_t k = 0; k < nn; k++)
      if (!tchar((unsigned char)name[k]))
        return luaL_error(L, "bad argument #1 to 'sign' (headers[%d]: not an HTTP header name)", (int)i);
    if (nn == 0)
      return luaL_error(L, "bad argument #1 to 'sign' (headers[%d]: empty header name)", (int)i);
    add_header(L, anchor, name, nn, value, vn, h, &nh);
    if (nn == 10 && strncasecmp(name, "x-amz-date", 10) == 0)
      return luaL_error(L, "bad argument #1 to 'sign' (headers[%d]: X-Amz-Date is the signer's to set, from 'time')",
                        (int)i);
    lua_pop(L, 3);
  }

  lua_newtable(L); /* headers to add (header mode) */
  int added = lua_gettop(L);
  if (!presign) {
    add_header(L, anchor, "X-Amz-Date", 10, amz_date, strlen(amz_date), h, &nh);
    push_pair(L, added, "X-Amz-Date", amz_date);
    if (token && !omit_token) {
      add_header(L, anchor, "X-Amz-Security-Token", 20, token, token_n, h, &nh);
      push_pair(L, added, "X-Amz-Security-Token", token);
    }
    if (sign_body) {
      add_header(L, anchor, "x-amz-content-sha256", 20, body_hash, strlen(body_hash), h, &nh);
      push_pair(L, added, "x-amz-content-sha256", body_hash);
    }
  }
  qsort(h, nh, sizeof *h, cmp_header);

  /* canonical headers block and the signed-header list (duplicates joined) */
  luaL_Buffer b;
  luaL_buffinit(L, &b);
  for (size_t i = 0; i < nh; i++) {
    if (i > 0 && cmp_str(h[i].key, h[i - 1].key) == 0) {
      luaL_addchar(&b, ',');
    } else {
      if (i > 0) luaL_addchar(&b, '\n');
      luaL_addlstring(&b, h[i].key.s, h[i].key.n);
      luaL_addchar(&b, ':');
    }
    luaL_addlstring(&b, h[i].value.s, h[i].value.n);
  }
  if (nh > 0) luaL_addchar(&b, '\n');
  luaL_pushresult(&b);
  str canon_headers = anchor_top(L, anchor);
  luaL_buffinit(L, &b);
  for (size_t i = 0; i < nh; i++) {
    if (i > 0 && cmp_str(h[i].key, h[i - 1].key) == 0) continue;
    if (i > 0) luaL_addchar(&b, ';');
    luaL_addlstring(&b, h[i].key.s, h[i].key.n);
  }
  luaL_pushresult(&b);
  str signed_headers = anchor_top(L, anchor);

  /* query pairs: the caller's, plus the X-Amz-* ones of a presigned URL */
  size_t room = 8;
  for (size_t i = 0; i < query_n; i++) room += query[i] == '&';
  pair *q = lua_newuserdatauv(L, room * sizeof *q, 0);
  anchor_top(L, anchor);
  size_t nq = 0;
  collect_query(L, anchor, query, query_n, q, &nq);
  if (presign) {
    const char *cred = lua_pushfstring(L, "%s/%s", access_key, scope);
    anchor_top(L, anchor);
    const char *exp = lua_pushfstring(L, "%I", expires);
    anchor_top(L, anchor);
    add_query_pair(L, anchor, "X-Amz-Algorithm", ALGORITHM, strlen(ALGORITHM), q, &nq);
    add_query_pair(L, anchor, "X-Amz-Credential", cred, strlen(cred), q, &nq);
    add_query_pair(L, anchor, "X-Amz-Date", amz_date, strlen(amz_date), q, &nq);
    add_query_pair(L, anchor, "X-Amz-Expires", exp, strlen(exp), q, &nq);
    if (token && !omit_token)
      add_query_pair(L, anchor, "X-Amz-Security-Token", token, token_n, q, &nq);
    add_query_pair(L, anchor, "X-Amz-SignedHeaders", signed_headers.s, signed_headers.n, q, &nq);
  }
  qsort(q, nq, sizeof *q, cmp_query);
  luaL_buffinit(L, &b);
  for (size_t i = 0; i < nq; i++) {
    if (i > 0) luaL_addchar(&b, '&');
    luaL_addlstring(&b, q[i].key.s, q[i].key.n);
    luaL_addchar(&b, '=');
    luaL_addlstring(&b, q[i].value.s, q[i].value.n);
  }
  luaL_pushresult(&b);
  str canon_query = anchor_top(L, anchor);

  push_canonical_path(L, path, path_n, normalize);
  str canon_path = anchor_top(L, anchor);

  /* canonical request, string to sign, signature */
  luaL_buffinit(L, &b);
  luaL_addstring(&b, method);
  luaL_addchar(&b, '\n');
  luaL_addlstring(&b, canon_path.s, canon_path.n);
  luaL_addchar(&b, '\n');
  luaL_addlstring(&b, canon_query.s, canon_query.n);
  luaL_addchar(&b, '\n');
  luaL_addlstring(&b, canon_headers.s, canon_headers.n);
  luaL_addchar(&b, '\n');
  luaL_addlstring(&b, signed_headers.s, signed_headers.n);
  luaL_addchar(&b, '\n');
  luaL_addstring(&b, body_hash);
  luaL_pushresult(&b);
  str creq = anchor_top(L, anchor);
  char creq_hash[65];
  sha256_hex(creq.s, creq.n, creq_hash);
  const char *sts = lua_pushfstring(L, "%s\n%s\n%s\n%s", ALGORITHM, amz_date, scope, creq_hash);
  str sts_s = anchor_top(L, anchor);

  unsigned char k[32];
  luaL_buffinit(L, &b);
  luaL_addstring(&b, "AWS4");
  luaL_addlstring(&b, secret_key, secret_n);
  luaL_pushresult(&b);
  size_t kn;
  const char *k0 = lua_tolstring(L, -1, &kn);
  int ok = hmac((const unsigned char *)k0, kn, date, strlen(date), k) &&
           hmac(k, 32, region, strlen(region), k) && hmac(k, 32, service, strlen(service), k) &&
           hmac(k, 32, "aws4_request", 12, k) && hmac(k, 32, sts_s.s, sts_s.n, k);
  lua_pop(L, 1);
  if (!ok)
    return luaL_error(L, "sigv4: HMAC-SHA256 failed in OpenSSL");
  char sig[65];
  hex_encode(k, 32, sig);
  (void)sts;

  /* the result */
  lua_createtable(L, 0, 10);
  int res = lua_gettop(L);
  lua_pushlstring(L, creq.s, creq.n);
  lua_setfield(L, res, "canonical_request");
  lua_pushlstring(L, sts_s.s, sts_s.n);
  lua_setfield(L, res, "string_to_sign");
  lua_pushstring(L, sig);
  lua_setfield(L, res, "signature");
  lua_pushlstring(L, signed_headers.s, signed_headers.n);
  lua_setfield(L, res, "signed_headers");
  lua_pushstring(L, scope);
  lua_setfield(L, res, "scope");
  lua_pushstring(L, amz_date);
  lua_setfield(L, res, "amz_date");
  if (presign) {
    lua_pushfstring(L, "%s&X-Amz-Signature=%s", canon_query.s, sig);
    lua_setfield(L, res, "query");
  } else {
    if (token && omit_token)
      push_pair(L, added, "X-Amz-Security-Token", token);
    const char *auth = lua_pushfstring(L, "%s Credential=%s/%s, SignedHeaders=%s, Signature=%s", ALGORITHM,
                                       access_key, scope, signed_headers.s, sig);
    push_pair(L, added, "Authorization", auth);
    lua_setfield(L, res, "authorization");
    lua_pushvalue(L, added);
    lua_setfield(L, res, "headers");
  }
  return 1;
}

/* sigv4.hmac_sha256(key, data) -> 32 raw bytes (for callers deriving keys) */
static int sigv4_hmac_sha256(lua_State *L) {
  size_t kn, dn;
  const char *key = luaL_checklstring(L, 1, &kn);
  const char *data = luaL_checklstring(L, 2, &dn);
  unsigned char out[32];
  if (!hmac((const unsigned char *)key, kn, data, dn, out))
    return dbh_pushfail(L, "ECRYPTO", "HMAC-SHA256 failed in OpenSSL");
  lua_pushlstring(L, (const char *)out, 32);
  return 1;
}

int luaopen_dbhost_sigv4(lua_State *L);
int luaopen_dbhost_sigv4(lua_State *L) {
  static const luaL_Reg funcs[] = {
    {"sign", sigv4_sign},
    {"hmac_sha256", sigv4_hmac_sha256},
    {NULL, NULL},
  };
  luaL_newlib(L, funcs);
  lua_pushliteral(L, ALGORITHM);
  lua_setfield(L, -2, "ALGORITHM");
  return 1;
}
