/*
** http.c: the dbhost.http module, HTTP/1.1 requests over libcurl.
**
**   http.request(req) -> res | nil, msg, code
**     req = { method = "GET", url = "...", headers = { {name, value}, ... },
**             body = "...", timeout = seconds (0 or nil: none),
**             connect_timeout = seconds, cainfo = "path of a CA bundle" }
**     res = { status = 200, headers = { ["lower-name"] = "value", ... }, body = "..." }
**   A header whose value is "" is sent empty ("Content-Type: "), not dropped
**   (libcurl's "Name:" would remove it; "Name;" sends it empty). "Expect:" is
**   always cleared, so a body is never held back for "100 Continue".
**   Codes: "ETIMEDOUT", "ECONNREFUSED", "EHOSTUNREACH" (name not resolved),
**   "ECONNRESET" (connection lost), "ETLS", "EHTTP" (anything else). Ctrl-C
**   aborts the transfer and raises the host's "interrupted" error.
**
**   http.watchdog(w) -> watchdog
**     w = { at = Unix seconds (wall clock), url = "...", body = "...",
**           method = "PUT", headers = {...}, attempts = 3, cainfo = ... }
**     A thread that, unless claimed first, sends the request at time `at`
**     (a custom resource's last-resort FAILED answer) and retries it on a
**     network error or a 5xx.
**   wd:claim() -> true | false, status: true when the caller won the right to
**     answer (the thread is stopped); false when the watchdog fired, after
**     waiting for its request to end (status: the last HTTP status or 0).
**   wd:close() (also __gc and __close): claim and join; idempotent.
**
**   http.now() -> Unix seconds with a fraction (the wall clock, which
**     deadlines in HTTP headers such as Lambda-Runtime-Deadline-Ms use)
**
** The curl handle and the buffers live in a userdata whose __gc frees them,
** so nothing leaks when Lua raises; the transfer callbacks never raise.
*/
#include "common.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>

#define XFER_CLASS "dbhost.http.transfer"
#define WATCHDOG_CLASS "dbhost.http.watchdog"

/* ============================================================ transfers */

typedef struct {
  CURL *curl;
  struct curl_slist *headers;
  dbh_buf body, head;
  int oom;
} transfer;

static void transfer_free(transfer *t) {
  if (t->curl) curl_easy_cleanup(t->curl);
  t->curl = NULL;
  curl_slist_free_all(t->headers);
  t->headers = NULL;
  dbh_buf_free(&t->body);
  dbh_buf_free(&t->head);
}

static int transfer_gc(lua_State *L) {
  transfer_free(luaL_checkudata(L, 1, XFER_CLASS));
  return 0;
}

static size_t on_body(char *p, size_t size, size_t n, void *ud) {
  transfer *t = ud;
  if (dbh_buf_append(&t->body, p, size * n) != 0) {
    t->oom = 1;
    return 0;
  }
  return size * n;
}

/* Header lines of the last response only (a redirect or 100 starts over). */
static size_t on_header(char *p, size_t size, size_t n, void *ud) {
  transfer *t = ud;
  size_t len = size * n;
  if (len >= 5 && memcmp(p, "HTTP/", 5) == 0)
    t->head.len = 0;
  if (dbh_buf_append(&t->head, p, len) != 0) {
    t->oom = 1;
    return 0;
  }
  return len;
}

static int on_progress(void *ud, curl_off_t a, curl_off_t b, curl_off_t c, curl_off_t d) {
  (void)ud, (void)a, (void)b, (void)c, (void)d;
  return dbh_interrupted ? 1 : 0;
}

/* "Name: value" (or "Name;" for an empty value) appended to *list; 0 on ENOMEM. */
static int add_header_line(struct curl_slist **list, const char *name, size_t nn, const char *value, size_t vn) {
  char *line = malloc(nn + vn + 3);
  if (!line) return 0;
  memcpy(line, name, nn);
  if (vn == 0) {
    line[nn] = ';';
    line[nn + 1] = '\0';
  } else {
    line[nn] = ':';
    line[nn + 1] = ' ';
    memcpy(line + nn + 2, value, vn);
    line[nn + 2 + vn] = '\0';
  }
  struct curl_slist *next = curl_slist_append(*list, line);
  free(line);
  if (!next) return 0;
  *list = next;
  return 1;
}

static const char *curl_code_name(CURLcode rc) {
  switch (rc) {
    case CURLE_OPERATION_TIMEDOUT: return "ETIMEDOUT";
    case CURLE_COULDNT_CONNECT: return "ECONNREFUSED";
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_RESOLVE_PROXY: return "EHOSTUNREACH";
    case CURLE_RECV_ERROR:
    case CURLE_SEND_ERROR:
    case CURLE_GOT_NOTHING: return "ECONNRESET";
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_CERTPROBLEM: return "ETLS";
    default: return "EHTTP";
  }
}

/* Set the options shared by requests and the watchdog; 0 on failure. */
static int setup_common(CURL *c, const char *method, const char *url, const char *body, size_t body_n,
                        double timeout, double connect_timeout, const char *cainfo) {
  int ok = curl_easy_setopt(c, CURLOPT_URL, url) == CURLE_OK;
  ok = ok && curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L) == CURLE_OK;
  ok = ok && curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https") == CURLE_OK;
  ok = ok && curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method) == CURLE_OK;
  if (strcmp(method, "HEAD") == 0)
    ok = ok && curl_easy_setopt(c, CURLOPT_NOBODY, 1L) == CURLE_OK;
  if (body || strcmp(method, "POST") == 0 || strcmp(method, "PUT") == 0) {
    ok = ok && curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)body_n) == CURLE_OK;
    ok = ok && curl_easy_setopt(c, CURLOPT_POSTFIELDS, body ? body : "") == CURLE_OK;
  }
  if (timeout > 0)
    ok = ok && curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, (long)(timeout * 1000 + 0.5)) == CURLE_OK;
  if (connect_timeout > 0)
    ok = ok && curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, (long)(connect_timeout * 1000 + 0.5)) == CURLE_OK;
  if (cainfo)
    ok = ok && curl_easy_setopt(c, CURLOPT_CAINFO, cainfo) == CURLE_OK;
  return ok;
}

static double opt_number(lua_State *L, int t, const char *name) {
  double v = 0;
  if (lua_getfield(L, t, name) != LUA_TNIL) {
    int isnum;
    v = lua_tonumberx(L, -1, &isnum);
    if (!isnum || !(v >= 0))
      luaL_error(L, "bad argument #1 (field '%s': a number of seconds >= 0 expected)", name);
  }
  lua_pop(L, 1);
  return v;
}

static const char *opt_string(lua_State *L, int t, const char *name, size_t *n, const char *def) {
  const char *s = def;
  if (n) *n = def ? strlen(def) : 0;
  int type = lua_getfield(L, t, name);
  if (type == LUA_TSTRING)
    s = lua_tolstring(L, -1, n);
  else if (type != LUA_TNIL)
    luaL_error(L, "bad argument #1 (field '%s': string expected, got %s)", name, luaL_typename(L, -1));
  lua_pop(L, 1); /* still referenced by the request table */
  return s;
}

/* Build the header list from t.headers into *list (Expect cleared); 0 on ENOMEM. */
static int collect_headers(lua_State *L, int t, struct curl_slist **list) {
  int ok = 1;
  if (lua_getfield(L, t, "headers") == LUA_TTABLE) {
    lua_Integer n = luaL_len(L, -1);
    for (lua_Integer i = 1; i <= n && ok; i++) {
      if (lua_rawgeti(L, -1, i) != LUA_TTABLE)
        luaL_error(L, "bad argument #1 (headers[%d]: {name, value} expected)", (int)i);
      lua_rawgeti(L, -1, 1);
      lua_rawgeti(L, -2, 2);
      size_t nn, vn;
      const char *name = lua_tolstring(L, -2, &nn), *value = lua_tolstring(L, -1, &vn);
      if (!name || !value || nn == 0 || strpbrk(name, ":;\r\n") || memchr(value, '\n', vn) || memchr(value, '\r', vn))
        luaL_error(L, "bad argument #1 (headers[%d]: a header name and a one-line value expected)", (int)i);
      ok = add_header_line(list, name, nn, value, vn);
      lua_pop(L, 3);
    }
  } else if (!lua_isnil(L, -1)) {
    luaL_error(L, "bad argument #1 (field 'headers': table expected)");
  }
  lua_pop(L, 1);
  if (!ok) return 0;
  struct curl_slist *next = curl_slist_append(*list, "Expect:");
  if (!next) return 0;
  *list = next;
  return 1;
}

/* Push the response headers as a table of lowercase names. */
static void push_headers(lua_State *L, const dbh_buf *head) {
  lua_newtable(L);
  const char *p = head->data, *end = head->data + head->len;
  while (p && p < end) {
    const char *eol = memchr(p, '\n', (size_t)(end - p));
    const char *stop = eol ? eol : end;
    const char *colon = memchr(p, ':', (size_t)(stop - p));
    if (colon && !(stop - p >= 5 && memcmp(p, "HTTP/", 5) == 0)) {
      luaL_Buffer b;
      luaL_buffinit(L, &b);
      for (const char *q = p; q < colon; q++)
        luaL_addchar(&b, (*q >= 'A' && *q <= 'Z') ? (char)(*q - 'A' + 'a') : *q);
      luaL_pushresult(&b);
      const char *v = colon + 1, *ve = stop;
      while (v < ve && (*v == ' ' || *v == '\t')) v++;
      while (ve > v && (ve[-1] == '\r' || ve[-1] == ' ' || ve[-1] == '\t')) ve--;
      lua_pushlstring(L, v, (size_t)(ve - v));
      lua_settable(L, -3);
    }
    p = eol ? eol + 1 : NULL;
  }
}

/* http.request(req) -> res | nil, msg, code */
static int http_request(lua_State *L) {
  luaL_checktype(L, 1, LUA_TTABLE);
  lua_settop(L, 1);
  size_t body_n;
  const char *method = opt_string(L, 1, "method", NULL, "GET");
  const char *url = opt_string(L, 1, "url", NULL, NULL);
  if (!url) return luaL_error(L, "bad argument #1 to 'request' (field 'url': string expected)");
  const char *body = opt_string(L, 1, "body", &body_n, NULL);
  const char *cainfo = opt_string(L, 1, "cainfo", NULL, NULL);
  double timeout = opt_number(L, 1, "timeout");
  double connect_timeout = opt_number(L, 1, "connect_timeout");

  transfer *t = lua_newuserdatauv(L, sizeof *t, 0);
  memset(t, 0, sizeof *t);
  luaL_setmetatable(L, XFER_CLASS);
  int xfer = lua_gettop(L);
  if (!collect_headers(L, 1, &t->headers))
    return dbh_pusherrno(L, "http", ENOMEM);
  t->curl = curl_easy_init();
  if (!t->curl)
    return dbh_pushfail(L, "EHTTP", "http: cannot start a transfer (curl_easy_init)");
  CURL *c = t->curl;
  int ok = setup_common(c, method, url, body, body_n, timeout, connect_timeout, cainfo);
  ok = ok && curl_easy_setopt(c, CURLOPT_HTTPHEADER, t->headers) == CURLE_OK;
  ok = ok && curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body) == CURLE_OK;
  ok = ok && curl_easy_setopt(c, CURLOPT_WRITEDATA, t) == CURLE_OK;
  ok = ok && curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header) == CURLE_OK;
  ok = ok && curl_easy_setopt(c, CURLOPT_HEADERDATA, t) == CURLE_OK;
  ok = ok && curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, on_progress) == CURLE_OK;
  ok = ok && curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L) == CURLE_OK;
  if (!ok)
    return dbh_pushfail(L, "EHTTP", "http: cannot set up the transfer to %s", url);
  CURLcode rc = curl_easy_perform(c);
  if (rc == CURLE_ABORTED_BY_CALLBACK && dbh_interrupted) {
    transfer_free(t);
    return dbh_raise_interrupted(L);
  }
  if (t->oom) {
    transfer_free(t);
    return dbh_pusherrno(L, "http", ENOMEM);
  }
  if (rc != CURLE_OK) {
    const char *what = curl_easy_strerror(rc);
    transfer_free(t);
    return dbh_pushfail(L, curl_code_name(rc), "http: %s %s: %s", method, url, what);
  }
  long status = 0;
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
  lua_createtable(L, 0, 3);
  lua_pushinteger(L, status);
  lua_setfield(L, -2, "status");
  push_headers(L, &t->head);
  lua_setfield(L, -2, "headers");
  lua_pushlstring(L, t->body.data ? t->body.data : "", t->body.len);
  lua_setfield(L, -2, "body");
  transfer_free(t);
  lua_remove(L, xfer);
  return 1;
}

/* ============================================================= watchdog */

enum { WD_ARMED = 0, WD_CLAIMED = 1, WD_FIRED = 2 };

typedef struct {
  pthread_t thread;
  pthread_mutex_t mu;
  pthread_cond_t cv;
  int started, joined, stop;
  _Atomic int state;
  long last_status;
  double at;
  int attempts;
  char *method, *url, *body, *cainfo;
  size_t body_n;
  struct curl_slist *headers;
} watchdog;

static size_t discard(char *p, size_t size, size_t n, void *ud) {
  (void)p, (void)ud;
  return size * n;
}

static void *watchdog_main(void *arg) {
  watchdog *w = arg;
  struct timespec ts;
  ts.tv_sec = (time_t)w->at;
  ts.tv_nsec = (long)((w->at - (double)ts.tv_sec) * 1e9);
  pthread_mutex_lock(&w->mu);
  int rc = 0;
  while (!w->stop && rc != ETIMEDOUT)
    rc = pthread_cond_timedwait(&w->cv, &w->mu, &ts);
  pthread_mutex_unlock(&w->mu);
  int expected = WD_ARMED;
  if (!atomic_compare_exchange_strong(&w->state, &expected, WD_FIRED))
    return NULL; /* claimed by the caller */
  for (int i = 0; i < w->attempts; i++) {
    CURL *c = curl_easy_init();
    if (!c) break;
    long status = 0;
    int ok = setup_common(c, w->method, w->url, w->body, w->body_n, 10, 3, w->cainfo);
    ok = ok && curl_easy_setopt(c, CURLOPT_HTTPHEADER, w->headers) == CURLE_OK;
    ok = ok && curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, discard) == CURLE_OK;
    CURLcode res = ok ? curl_easy_perform(c) : CURLE_FAILED_INIT;
    if (res == CURLE_OK)
      curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    curl_easy_cleanup(c);
    w->last_status = status;
    if (res == CURLE_OK && status < 500)
      break;
    struct timespec pause = {0, 300 * 1000 * 1000};
    nanosleep(&pause, NULL);
  }
  return NULL;
}

static void watchdog_free_data(watchdog *w) {
  free(w->method);
  free(w->url);
  free(w->body);
  free(w->cainfo);
  w->method = w->url = w->body = w->cainfo = NULL;
  curl_slist_free_all(w->headers);
  w->headers = NULL;
}

/* Claim (unless fired) and join the thread; returns the final state. */
static int watchdog_finish(watchdog *w) {
  int expected = WD_ARMED;
  atomic_compare_exchange_strong(&w->state, &expected, WD_CLAIMED);
  if (w->started && !w->joined) {
    pthread_mutex_lock(&w->mu);
    w->stop = 1;
    pthread_cond_signal(&w->cv);
    pthread_mutex_unlock(&w->mu);
    pthread_join(w->thread, NULL);
    w->joined = 1;
    pthread_mutex_destroy(&w->mu);
    pthread_cond_destroy(&w->cv);
  }
  watchdog_free_data(w);
  return atomic_load(&w->state);
}

static int watchdog_gc(lua_State *L) {
  watchdog_finish(luaL_checkudata(L, 1, WATCHDOG_CLASS));
  return 0;
}

static char *dup_bytes(const char *s, size_t n) {
  char *p = malloc(n + 1);
  if (p) {
    memcpy(p, s, n);
    p[n] = '\0';
  }
  return p;
}

/* http.watchdog(w) -> watchdog | nil, msg, code */
static int http_watchdog(lua_State *L) {
  luaL_checktype(L, 1, LUA_TTABLE);
  lua_settop(L, 1);
  size_t body_n;
  const char *method = opt_string(L, 1, "method", NULL, "PUT");
  const char *url = opt_string(L, 1, "url", NULL, NULL);
  if (!url) return luaL_error(L, "bad argument #1 to 'watchdog' (field 'url': string expected)");
  const char *body = opt_string(L, 1, "body", &body_n, "");
  const char *cainfo = opt_string(L, 1, "cainfo", NULL, NULL);
  if (lua_getfield(L, 1, "at") != LUA_TNUMBER)
    return luaL_error(L, "bad argument #1 to 'watchdog' (field 'at': Unix seconds expected)");
  double at = lua_tonumber(L, -1);
  lua_pop(L, 1);
  lua_Integer attempts = 3;
  if (lua_getfield(L, 1, "attempts") != LUA_TNIL) attempts = luaL_checkinteger(L, -1);
  lua_pop(L, 1);

  watchdog *w = lua_newuserdatauv(L, sizeof *w, 0);
  memset(w, 0, sizeof *w);
  atomic_init(&w->state, WD_ARMED);
  w->joined = 1; /* nothing to join yet */
  luaL_setmetatable(L, WATCHDOG_CLASS);
  w->at = at;
  w->attempts = attempts < 1 ? 1 : (int)attempts;
  w->method = dup_bytes(method, strlen(method));
  w->url = dup_bytes(url, strlen(url));
  w->body = dup_bytes(body, body_n);
  w->body_n = body_n;
  w->cainfo = cainfo ? dup_bytes(cainfo, strlen(cainfo)) : NULL;
  if (!w->method || !w->url || !w->body || (cainfo && !w->cainfo) || !collect_headers(L, 1, &w->headers)) {
    watchdog_free_data(w);
    return dbh_pusherrno(L, "http.watchdog", ENOMEM);
  }
  if (pthread_mutex_init(&w->mu, NULL) != 0) {
    watchdog_free_data(w);
    return dbh_pusherrno(L, "http.watchdog", EAGAIN);
  }
  if (pthread_cond_init(&w->cv, NULL) != 0) {
    pthread_mutex_destroy(&w->mu);
    watchdog_free_data(w);
    return dbh_pusherrno(L, "http.watchdog", EAGAIN);
  }
  int err = pthread_create(&w->thread, NULL, watchdog_main, w);
  if (err != 0) {
    pthread_mutex_destroy(&w->mu);
    pthread_cond_destroy(&w->cv);
    watchdog_free_data(w);
    return dbh_pusherrno(L, "http.watchdog: pthread_create", err);
  }
  w->started = 1;
  w->joined = 0;
  return 1;
}

/* wd:claim() -> true | false, status */
static int watchdog_claim(lua_State *L) {
  watchdog *w = luaL_checkudata(L, 1, WATCHDOG_CLASS);
  int state = watchdog_finish(w);
  if (state == WD_CLAIMED) {
    lua_pushboolean(L, 1);
    return 1;
  }
  lua_pushboolean(L, 0);
  lua_pushinteger(L, w->last_status);
  return 2;
}

/* wd:fired() -> bool (the watchdog started answering) */
static int watchdog_fired(lua_State *L) {
  watchdog *w = luaL_checkudata(L, 1, WATCHDOG_CLASS);
  lua_pushboolean(L, atomic_load(&w->state) == WD_FIRED);
  return 1;
}

/* http.now() -> Unix seconds (wall clock, with a fraction) */
static int http_now(lua_State *L) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  lua_pushnumber(L, (lua_Number)ts.tv_sec + (lua_Number)ts.tv_nsec / 1e9);
  return 1;
}

int luaopen_dbhost_http(lua_State *L);
int luaopen_dbhost_http(lua_State *L) {
  static const luaL_Reg funcs[] = {
    {"request", http_request},
    {"watchdog", http_watchdog},
    {"now", http_now},
    {NULL, NULL},
  };
  static const luaL_Reg wd_methods[] = {
    {"claim", watchdog_claim},
    {"fired", watchdog_fired},
    {"close", watchdog_gc},
    {NULL, NULL},
  };
  /* once per process; libcurl makes repeated calls cheap and counts them */
  if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
    return luaL_error(L, "dbhost.http: libcurl failed to initialise");
  static const luaL_Reg no_methods[] = {{NULL, NULL}};
  dbh_newclass(L, XFER_CLASS, no_methods, transfer_gc);
  lua_pop(L, 1);
  dbh_newclass(L, WATCHDOG_CLASS, wd_methods, watchdog_gc);
  lua_pop(L, 1);
  luaL_newlib(L, funcs);
  return 1;
}
