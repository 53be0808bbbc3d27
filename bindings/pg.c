/*
** pg.c: the dbhost.pg module, PostgreSQL connections over libpq.
**
**   pg.connect(conninfo [, opts]) -> conn | nil, msg, code
**       conninfo: postgres:// or postgresql:// URL, "key=value ..." string or a bare
**       database name; libpq also reads the PG* environment. Defaults added:
**       client_encoding=UTF8, fallback_application_name=dbhost (the conninfo wins).
**       opts.timeout: seconds to connect (default: the conninfo's connect_timeout,
**       else none); opts.statement_timeout: seconds, the first conn:set_timeout.
**       Codes: "EINVAL" unparsable conninfo, "08001" could not connect,
**       "ETIMEDOUT". Messages never contain the password.
**   pg.conninfo_parse(conninfo) -> { keyword = value } | nil, msg, "EINVAL"  (PQconninfoParse;
**       msg may quote the input: scrub before printing)
**   pg.conninfo_secrets(conninfo) -> { text, ... }   what scrubbing hides: libpq's password,
**       a URL's text between "://" and its last '@', values of *pass* parameters
**   pg.scrub(text, secrets) -> text with each secret as xxxxx
**   (printing a URL or conninfo: dbhost.db.url.redact, built on these)
**   pg.ping(conninfo) -> "ok"|"reject"|"no_response"|"no_attempt"
**
**   conn:exec(sql [, p1, ...])   -> res | nil, err, sqlstate
**   conn:exec_all(sql)           -> { res, ... } | nil, err, sqlstate
**                                   (err.statement_index: which statement failed)
**   conn:query(sql [, p1, ...])  -> rows | nil, err, sqlstate      (res.rows)
**   conn:send(sql [, p1, ...])   -> true | nil, err, sqlstate   (returns at once)
**   conn:result()                -> res | nil, err, sqlstate    (waits for what send sent)
**   conn:busy()                  -> bool: the sent query still runs (never waits)
**       Without parameters sql may hold several statements (exec returns the last
**       result); with parameters (nil = NULL, numbers and booleans as text) it is one
**       statement. res = { rows = { {col = "text" | nil, ...}, ... }, [i] = row i,
**       fields = { name, ... }, types = { oid, ... }, ntuples = n,
**       command = "INSERT 0 1", affected = n | nil }.
**       err = { message, sqlstate, severity, detail, hint, position, context (also
**       where), schema, table, column, datatype, constraint, internal_query,
**       internal_position, timeout }, tostring(err) = "ERROR: msg (SQLSTATE x)\n...".
**       A statement running past the timeout is canceled on the server and gives
**       sqlstate "57014" with err.timeout = true; Ctrl-C cancels it, then raises.
**   conn:set_timeout(seconds | nil)   statement timeout, nil or 0 for none
**   conn:notices() -> { "NOTICE: text", ... }   and forgets them
**   conn:status() -> "ok"|"bad"
**   conn:transaction_status() -> "idle"|"active"|"intrans"|"inerror"|"unknown"
**   conn:backend_pid(), conn:server_version(), conn:socket() -> integer
**   conn:escape_identifier(s), conn:escape_literal(s) -> string | nil, msg, code
**   conn:cancel() -> true | nil, msg, code
**   conn:close()   idempotent; also __gc and __close. A closed conn raises on use.
*/
#include "common.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <libpq-fe.h>

#define CONN_MT "dbhost.pg.conn"
#define BOX_MT "dbhost.pg.box"
#define ERROR_MT "dbhost.pg.error"

#define REDACTED "xxxxx"
#define NOTICE_CAP (1u << 20) /* bytes of notices kept between conn:notices() calls */
#define CANCEL_GRACE 5.0      /* seconds a canceled statement gets to end */
#define POLL_SLICE_MS 100     /* how often waits look at dbh_interrupted */

/* A connection: the userdata is made first, the PGconn second; NULL = closed. */
/*
** The notice receiver gets a pointer to this struct: full userdata never moves
** in Lua 5.4, and __gc finishes the PGconn before the memory goes away.
*/
typedef struct pg_conn {
  PGconn *pg;
  double timeout;   /* statement timeout in seconds, 0 = none */
  int busy;         /* a query was sent and its results not all read */
  int sent;         /* conn:send() sent a query whose results conn:result() has not read */
  dbh_buf notices;  /* NUL-terminated messages from the notice receiver */
} pg_conn;

/*
** A box owns one C allocation on behalf of Lua, so that a raise (a memory error
** while building tables) never leaks it: __gc frees whatever is still inside.
*/
enum { BOX_RESULT, BOX_PQMEM, BOX_BUF };
typedef struct pg_box {
  int kind;
  void *p;     /* PGresult * or PQ-allocated memory */
  dbh_buf buf; /* BOX_BUF */
} pg_box;

/* ============================================================= boxes */

static void box_free(pg_box *b) {
  if (b->p) {
    if (b->kind == BOX_RESULT)
      PQclear(b->p);
    else
      PQfreemem(b->p);
    b->p = NULL;
  }
  dbh_buf_free(&b->buf);
}

static int box_gc(lua_State *L) {
  box_free(luaL_checkudata(L, 1, BOX_MT));
  return 0;
}

/* Push an empty box of the given kind. */
static pg_box *box_new(lua_State *L, int kind) {
  pg_box *b = lua_newuserdatauv(L, sizeof *b, 0);
  memset(b, 0, sizeof *b);
  b->kind = kind;
  luaL_setmetatable(L, BOX_MT);
  return b;
}

/* Free every box in the list at index t (results no longer needed). */
static void free_boxes(lua_State *L, int t) {
  lua_Integer n = luaL_len(L, t);
  for (lua_Integer i = 1; i <= n; i++) {
    lua_rawgeti(L, t, i);
    box_free(lua_touserdata(L, -1));
    lua_pop(L, 1);
  }
}

/* ============================================================= helpers */

static double now_seconds(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/*
** Wait until fd has one of `events`, at most one slice and never past
** `deadline` (0 = none). 1 ready, 0 not yet (or EINTR), -1 error with errno.
*/
/* The milliseconds a poll may wait: one slice, never past `deadline` (0 = none). */
static int slice_ms(double deadline) {
  int ms = POLL_SLICE_MS;
  if (deadline > 0) {
    double left = deadline - now_seconds();
    if (left < 0)
      left = 0;
    if (left * 1000 < ms)
      ms = (int)(left * 1000) + 1;
  }
  return ms;
}

static int wait_socket(int fd, short events, double deadline) {
  struct pollfd p = {.fd = fd, .events = events, .revents = 0};
  int r = poll(&p, 1, slice_ms(deadline));
  if (r < 0 && errno == EINTR)
    return 0;
  return r;
}

/*
** Connections that have a query out (conn:send) and whose results are not all read.
** While dbhost waits on one connection, or is about to hand a result to Lua, it reads
** what the others' servers have sent so far into libpq's buffers: a server whose
** client is busy elsewhere would otherwise stop as soon as the socket's buffer (a few
** hundred KB) is full, and two databases read "at once" would be read one after the
** other.
*/
#define PUMP_MAX 16
static pg_conn *pumped[PUMP_MAX];

static void pump_add(pg_conn *c) {
  for (int i = 0; i < PUMP_MAX; i++)
    if (pumped[i] == c)
      return;
  for (int i = 0; i < PUMP_MAX; i++)
    if (pumped[i] == NULL) {
      pumped[i] = c;
      return;
    }
}

static void pump_remove(pg_conn *c) {
  for (int i = 0; i < PUMP_MAX; i++)
    if (pumped[i] == c)
      pumped[i] = NULL;
}

/* Read, without waiting, what has arrived for every pumped connection but `self`. */
static void pump_others(pg_conn *self) {
  for (int i = 0; i < PUMP_MAX; i++) {
    pg_conn *o = pumped[i];
    if (o && o != self && o->pg && !PQconsumeInput(o->pg))
      pumped[i] = NULL; /* broken: reading its results says why */
  }
}

/*
** Wait until fd is ready for events (or the next POLL_SLICE_MS slice, or the deadline),
** reading meanwhile whatever the other pumped connections receive. >0 when fd is ready.
*/
static int wait_socket_for(pg_conn *self, int fd, short events, double deadline) {
  struct pollfd p[PUMP_MAX + 1];
  pg_conn *who[PUMP_MAX + 1];
  int n = 0;
  p[n] = (struct pollfd){.fd = fd, .events = events, .revents = 0};
  who[n++] = self;
  for (int i = 0; i < PUMP_MAX; i++) {
    pg_conn *o = pumped[i];
    int ofd = (o && o != self && o->pg) ? PQsocket(o->pg) : -1;
    if (ofd >= 0) {
      p[n] = (struct pollfd){.fd = ofd, .events = POLLIN, .revents = 0};
      who[n++] = o;
    }
  }
  int r = poll(p, (nfds_t)n, slice_ms(deadline));
  if (r < 0 && errno == EINTR)
    return 0;
  if (r <= 0)
    return r;
  for (int i = 1; i < n; i++)
    if (p[i].revents != 0 && !PQconsumeInput(who[i]->pg))
      pump_remove(who[i]); /* broken: reading its results says why */
  return p[0].revents != 0; /* 0: only others were ready, the caller asks again */
}


/* Length of s without trailing white space (libpq messages end in "\n"). */
static size_t trimmed_len(const char *s) {
  size_t n = strlen(s);
  while (n > 0 && isspace((unsigned char)s[n - 1]))
    n--;
  return n;
}

/* Read an optional non-negative number of seconds opts[field]; 0 when absent. */
static double opt_seconds(lua_State *L, int idx, const char *field) {
  if (lua_isnoneornil(L, idx))
    return 0;
  luaL_checktype(L, idx, LUA_TTABLE);
  double v = 0;
  if (lua_getfield(L, idx, field) != LUA_TNIL) {
    int isnum;
    v = lua_tonumberx(L, -1, &isnum);
    if (!isnum || !(v >= 0))
      return luaL_argerror(L, idx, lua_pushfstring(L, "%s must be a number of seconds >= 0", field));
  }
  lua_pop(L, 1);
  return v;
}

/* ============================================================= redaction */

static int hexval(int ch) {
  if (ch >= '0' && ch <= '9')
    return ch - '0';
  ch = tolower(ch);
  if (ch >= 'a' && ch <= 'f')
    return ch - 'a' + 10;
  return -1;
}

/* Append s[0..n) percent-decoded to out (invalid escapes are kept as they are). */
static int pct_decode(const char *s, size_t n, dbh_buf *out) {
  for (size_t i = 0; i < n; i++) {
    char ch = s[i];
    if (ch == '%' && i + 2 < n) {
      int hi = hexval((unsigned char)s[i + 1]), lo = hexval((unsigned char)s[i + 2]);
      if (hi >= 0 && lo >= 0) {
        ch = (char)(hi * 16 + lo);
        i += 2;
      }
    }
    if (dbh_buf_append(out, &ch, 1) != 0)
      return -1;
  }
  return 0;
}

/* Record a secret (raw, and decoded when different) as NUL-terminated strings. */
static int add_secret(dbh_buf *secrets, const char *s, size_t n, int decode) {
  if (!secrets || n == 0)
    return 0;
  if (dbh_buf_append(secrets, s, n) != 0 || dbh_buf_append(secrets, "", 1) != 0)
    return -1;
  if (decode && memchr(s, '%', n)) {
    size_t start = secrets->len;
    if (pct_decode(s, n, secrets) != 0)
      return -1;
    if (secrets->len == start) /* cannot happen: n > 0 */
      return 0;
    if (dbh_buf_append(secrets, "", 1) != 0)
      return -1;
  }
  return 0;
}

static size_t uri_prefix_len(const char *s, size_t n) {
  if (n >= 13 && memcmp(s, "postgresql://", 13) == 0)
    return 13;
  if (n >= 11 && memcmp(s, "postgres://", 11) == 0)
    return 11;
  return 0;
}

/*
** Does a string hold a whole conninfo rather than a database name? libpq's own
** test: a URI prefix or an '='.
*/
static int is_conninfo(const char *s, size_t n) {
  return uri_prefix_len(s, n) > 0 || memchr(s, '=', n) != NULL;
}

/* Case-insensitive search for "pass" in s[from..n); returns the offset or n. */
static size_t find_pass(const char *s, size_t n, size_t from) {
  for (size_t i = from; i + 4 <= n; i++)
    if (strncasecmp(s + i, "pass", 4) == 0)
      return i;
  return n;
}

/*
** The values of parameters whose name contains "pass" (password, sslpassword,
** PASSWORD, pass%77ord once decoded), keyword form (quoted or not) or URL query
** form, added to secrets.
*/
static int secrets_of_params(const char *s, size_t n, dbh_buf *secrets) {
  for (size_t i = find_pass(s, n, 0); i < n; i = find_pass(s, n, i + 1)) {
    size_t q = i;
    while (q < n && (isalnum((unsigned char)s[q]) || s[q] == '_' || s[q] == '%'))
      q++;
    while (q < n && isspace((unsigned char)s[q]))
      q++;
    if (q >= n || s[q] != '=')
      continue;
    q++;
    while (q < n && isspace((unsigned char)s[q]))
      q++;
    size_t e = q;
    if (q < n && s[q] == '\'') {
      e = ++q;
      while (e < n && s[e] != '\'')
        e += (s[e] == '\\' && e + 1 < n) ? 2 : 1;
      if (e > n)
        e = n;
    } else {
      while (e < n && !isspace((unsigned char)s[e]) && s[e] != '&')
        e++;
    }
    if (add_secret(secrets, s + q, e - q, 1) != 0)
      return -1;
  }
  return 0;
}

/*
** Collect the secrets of a conninfo (NUL-separated) for scrubbing messages:
** libpq's own reading of the password (PQconninfoParse; a dbname holding a
** conninfo is read in turn), and, whatever libpq makes of the string, the text
** of a URL between "://" and its last '@' (with and without the user name) and
** the values of parameters named like a password. 0 ok, -1 out of memory.
*/
static int collect_secrets(const char *s, size_t n, dbh_buf *secrets, int depth) {
  int rc = 0, has_password = 0;
  PQconninfoOption *opts = strlen(s) == n ? PQconninfoParse(s, NULL) : NULL;
  int parsed = opts != NULL;
  for (PQconninfoOption *o = opts; o && o->keyword && rc == 0; o++) {
    if (!o->val || !*o->val)
      continue;
    if (strcmp(o->keyword, "password") == 0 || strcmp(o->keyword, "sslpassword") == 0) {
      has_password = 1;
      rc = add_secret(secrets, o->val, strlen(o->val), 0);
    }
    else if (strcmp(o->keyword, "dbname") == 0 && depth == 0 && is_conninfo(o->val, strlen(o->val)))
      rc = collect_secrets(o->val, strlen(o->val), secrets, depth + 1);
  }
  PQconninfoFree(opts);
  for (size_t i = 0; rc == 0 && i + 3 <= n; i++) {
    if (memcmp(s + i, "://", 3) != 0)
      continue;
    const char *start = s + i + 3, *at = NULL;
    for (const char *q = start; q < s + n; q++)
      if (*q == '@')
        at = q;
    /* libpq read it without a password and the '@' is in the query: no user information */
    const char *qmark = memchr(start, '?', (size_t)(s + n - start));
    if (parsed && !has_password && at && qmark && qmark < at)
      at = NULL;
    if (at && at > start) {
      const char *colon = memchr(start, ':', (size_t)(at - start));
      rc = add_secret(secrets, start, (size_t)(at - start), 1);
      if (rc == 0 && colon && colon + 1 < at)
        rc = add_secret(secrets, colon + 1, (size_t)(at - colon - 1), 1);
      /* libpq, reading an unencoded '@', '/' or '?' as the end of the password,
      ** quotes the pieces as host, port or database: each piece is a secret */
      const char *p = colon ? colon + 1 : start;
      while (rc == 0 && p < at) {
        size_t len = strcspn(p, "@/?:");
        if (p + len > at)
          len = (size_t)(at - p);
        if (len > 0 && len < (size_t)(at - (colon ? colon + 1 : start)))
          rc = add_secret(secrets, p, len, 1);
        p += len + 1;
      }
    }
    break;
  }
  if (rc == 0)
    rc = secrets_of_params(s, n, secrets);
  if (rc == 0 && memchr(s, '%', n)) {
    dbh_buf dec = {0};
    rc = pct_decode(s, n, &dec);
    if (rc == 0)
      rc = secrets_of_params(dec.data ? dec.data : "", dec.len, secrets);
    dbh_buf_free(&dec);
  }
  return rc;
}

/*
** Copy msg[0..n) to out with every secret replaced by xxxxx, longest first
** where two start at the same place. Secrets shorter than 4 bytes are replaced
** only as a whole "quoted" token (as libpq quotes them), so that a password "a"
** does not mangle every word with an a.
*/
static int scrub(const char *msg, size_t n, const dbh_buf *secrets, dbh_buf *out) {
  for (size_t i = 0; i < n;) {
    size_t hit = 0;
    for (size_t k = 0; k < secrets->len; k += strlen(secrets->data + k) + 1) {
      size_t slen = strlen(secrets->data + k);
      int whole = slen >= 4 || (i > 0 && msg[i - 1] == '"' && i + slen < n && msg[i + slen] == '"');
      if (slen > hit && slen <= n - i && whole && memcmp(msg + i, secrets->data + k, slen) == 0)
        hit = slen;
    }
    if (hit) {
      if (dbh_buf_append(out, REDACTED, strlen(REDACTED)) != 0)
        return -1;
      i += hit;
    } else {
      if (dbh_buf_append(out, msg + i, 1) != 0)
        return -1;
      i++;
    }
  }
  return 0;
}

/* pg.conninfo_parse(conninfo) -> { keyword = value, ... } | nil, msg, "EINVAL"
** libpq's reading of a URL or keyword string (PQconninfoParse): only keywords
** with a value. The message is libpq's and may quote the input: never print it
** unscrubbed. */
static int pg_conninfo_parse(lua_State *L) {
  size_t len;
  const char *s = luaL_checklstring(L, 1, &len);
  if (strlen(s) != len)
    return luaL_argerror(L, 1, "contains a zero byte");
  pg_box *b = box_new(L, BOX_PQMEM);
  char *msg = NULL;
  PQconninfoOption *opts = PQconninfoParse(s, &msg);
  b->p = msg;
  if (!opts) {
    luaL_pushfail(L);
    lua_pushlstring(L, msg ? msg : "out of memory", msg ? trimmed_len(msg) : 13);
    lua_pushliteral(L, "EINVAL");
    box_free(b);
    return 3;
  }
  /* copy into a buffer of NUL-separated pairs first: no raise while libpq owns memory */
  dbh_buf pairs = {0};
  int rc = 0;
  for (PQconninfoOption *o = opts; o->keyword && rc == 0; o++)
    if (o->val)
      rc = dbh_buf_append(&pairs, o->keyword, strlen(o->keyword) + 1) != 0 ||
           dbh_buf_append(&pairs, o->val, strlen(o->val) + 1) != 0;
  PQconninfoFree(opts);
  box_free(b);
  b->kind = BOX_BUF;
  b->buf = pairs;  /* the box frees it if a raise comes */
  if (rc != 0)
    return luaL_error(L, "not enough memory");
  lua_newtable(L);
  for (size_t k = 0; k < b->buf.len;) {
    const char *key = b->buf.data + k, *val = key + strlen(key) + 1;
    lua_pushstring(L, val);
    lua_setfield(L, -2, key);
    k = (size_t)(val - b->buf.data) + strlen(val) + 1;
  }
  box_free(b);
  return 1;
}

/* pg.conninfo_secrets(conninfo) -> { secret, ... }: what scrubbing masks */
static int pg_conninfo_secrets(lua_State *L) {
  size_t n;
  const char *s = luaL_checklstring(L, 1, &n);
  pg_box *b = box_new(L, BOX_BUF);
  if (collect_secrets(s, n, &b->buf, 0) != 0)
    return luaL_error(L, "not enough memory");
  lua_newtable(L);
  int i = 0;
  for (size_t k = 0; k < b->buf.len; k += strlen(b->buf.data + k) + 1) {
    lua_pushstring(L, b->buf.data + k);
    lua_rawseti(L, -2, ++i);
  }
  box_free(b);
  return 1;
}

/* pg.scrub(text, secrets) -> text with every secret (a list of strings) as xxxxx */
static int pg_scrub(lua_State *L) {
  size_t n;
  const char *msg = luaL_checklstring(L, 1, &n);
  luaL_checktype(L, 2, LUA_TTABLE);
  pg_box *sec = box_new(L, BOX_BUF);
  pg_box *out = box_new(L, BOX_BUF);
  lua_Integer count = luaL_len(L, 2);
  for (lua_Integer i = 1; i <= count; i++) {
    lua_rawgeti(L, 2, i);
    size_t sl;
    const char *sv = lua_tolstring(L, -1, &sl);
    if (sv && sl > 0 && strlen(sv) == sl && add_secret(&sec->buf, sv, sl, 0) != 0)
      return luaL_error(L, "not enough memory");
    lua_pop(L, 1);
  }
  if (scrub(msg, n, &sec->buf, &out->buf) != 0)
    return luaL_error(L, "not enough memory");
  lua_pushlstring(L, out->buf.data ? out->buf.data : "", out->buf.len);
  return 1;
}

/* ============================================================= errors */

/* Set t[name] = value when value is not NULL (t on top of the stack). */
static void set_string(lua_State *L, const char *name, const char *value) {
  if (value) {
    lua_pushstring(L, value);
    lua_setfield(L, -2, name);
  }
}

/* Push a new error table with message and sqlstate. */
static void push_error(lua_State *L, const char *msg, size_t len, const char *sqlstate) {
  lua_createtable(L, 0, 8);
  luaL_setmetatable(L, ERROR_MT);
  lua_pushlstring(L, msg, len);
  lua_setfield(L, -2, "message");
  set_string(L, "sqlstate", sqlstate);
}

/* Strip a "SEVERITY:  " prefix from a whole libpq message. */
static const char *skip_severity(const char *msg) {
  static const char *const prefixes[] = {"ERROR:  ", "FATAL:  ", "PANIC:  "};
  for (size_t i = 0; i < sizeof prefixes / sizeof *prefixes; i++)
    if (strncmp(msg, prefixes[i], strlen(prefixes[i])) == 0)
      return msg + strlen(prefixes[i]);
  return msg;
}

/* SQLSTATE for an error libpq made itself (no server fields). */
static const char *local_sqlstate(PGconn *pg) {
  return PQstatus(pg) == CONNECTION_BAD ? "08006" : "XX000";
}

/* Push the error table for an error result r of connection pg. */
static void push_result_error(lua_State *L, const PGresult *r, PGconn *pg) {
  const char *primary = PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY);
  const char *state = PQresultErrorField(r, PG_DIAG_SQLSTATE);
  if (primary) {
    push_error(L, primary, strlen(primary), state ? state : local_sqlstate(pg));
  } else {
    const char *msg = PQresultErrorMessage(r);
    if (!msg || !*msg)
      msg = PQerrorMessage(pg);
    msg = skip_severity(msg);
    push_error(L, msg, trimmed_len(msg), state ? state : local_sqlstate(pg));
  }
  const char *sev = PQresultErrorField(r, PG_DIAG_SEVERITY_NONLOCALIZED);
  set_string(L, "severity", sev ? sev : "ERROR");
  set_string(L, "detail", PQresultErrorField(r, PG_DIAG_MESSAGE_DETAIL));
  set_string(L, "hint", PQresultErrorField(r, PG_DIAG_MESSAGE_HINT));
  set_string(L, "context", PQresultErrorField(r, PG_DIAG_CONTEXT));
  set_string(L, "where", PQresultErrorField(r, PG_DIAG_CONTEXT));
  set_string(L, "schema", PQresultErrorField(r, PG_DIAG_SCHEMA_NAME));
  set_string(L, "table", PQresultErrorField(r, PG_DIAG_TABLE_NAME));
  set_string(L, "column", PQresultErrorField(r, PG_DIAG_COLUMN_NAME));
  set_string(L, "datatype", PQresultErrorField(r, PG_DIAG_DATATYPE_NAME));
  set_string(L, "constraint", PQresultErrorField(r, PG_DIAG_CONSTRAINT_NAME));
  set_string(L, "internal_query", PQresultErrorField(r, PG_DIAG_INTERNAL_QUERY));
  const char *pos = PQresultErrorField(r, PG_DIAG_STATEMENT_POSITION);
  if (pos) {
    lua_pushinteger(L, strtol(pos, NULL, 10));
    lua_setfield(L, -2, "position");
  }
  pos = PQresultErrorField(r, PG_DIAG_INTERNAL_POSITION);
  if (pos) {
    lua_pushinteger(L, strtol(pos, NULL, 10));
    lua_setfield(L, -2, "internal_position");
  }
}

/* Push nil, err, sqlstate for the error table on top of the stack; returns 3. */
static int fail_with_error(lua_State *L) {
  lua_getfield(L, -1, "sqlstate");
  luaL_pushfail(L);
  lua_rotate(L, -3, 1); /* nil, err, sqlstate */
  return 3;
}

/* Push nil, err, code for a failure reported by PQerrorMessage(pg). */
static int fail_with_conn_error(lua_State *L, PGconn *pg) {
  const char *msg = skip_severity(PQerrorMessage(pg));
  push_error(L, msg, trimmed_len(msg), local_sqlstate(pg));
  set_string(L, "severity", "ERROR");
  return fail_with_error(L);
}

/*
** tostring(err): "SEVERITY: message (SQLSTATE x)" plus "\nDETAIL: ..." and
** "\nHINT: ..." lines when present. Works on any table with those fields, so
** Lua code may build or adjust errors and still print them the same way.
*/
static int error_tostring(lua_State *L) {
  luaL_checktype(L, 1, LUA_TTABLE);
  luaL_Buffer b;
  luaL_buffinit(L, &b);
  if (lua_getfield(L, 1, "severity") != LUA_TSTRING) {
    lua_pop(L, 1);
    lua_pushliteral(L, "ERROR");
  }
  luaL_addvalue(&b);
  luaL_addstring(&b, ": ");
  lua_getfield(L, 1, "message");
  luaL_tolstring(L, -1, NULL);
  lua_remove(L, -2);
  luaL_addvalue(&b);
  if (lua_getfield(L, 1, "sqlstate") == LUA_TSTRING) {
    luaL_addstring(&b, " (SQLSTATE ");
    luaL_addvalue(&b);
    luaL_addchar(&b, ')');
  } else {
    lua_pop(L, 1);
  }
  static const char *const extra[][2] = {{"detail", "\nDETAIL: "}, {"hint", "\nHINT: "}};
  for (size_t i = 0; i < sizeof extra / sizeof *extra; i++) {
    if (lua_getfield(L, 1, extra[i][0]) == LUA_TSTRING) {
      luaL_addstring(&b, extra[i][1]);
      luaL_addvalue(&b);
    } else {
      lua_pop(L, 1);
    }
  }
  luaL_pushresult(&b);
  return 1;
}

/* ============================================================= notices */

/*
** libpq's notice receiver: copy "SEVERITY: message" (with DETAIL and HINT lines)
** into the connection's buffer. Never touches Lua; drops notices past NOTICE_CAP.
*/
static void notice_receiver(void *arg, const PGresult *r) {
  pg_conn *c = arg;
  if (c->notices.len > NOTICE_CAP)
    return;
  const char *sev = PQresultErrorField(r, PG_DIAG_SEVERITY);
  const char *msg = PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY);
  dbh_buf *b = &c->notices;
  size_t mark = b->len;
  int rc = 0;
  if (sev && msg) {
    const char *detail = PQresultErrorField(r, PG_DIAG_MESSAGE_DETAIL);
    const char *hint = PQresultErrorField(r, PG_DIAG_MESSAGE_HINT);
    rc |= dbh_buf_append(b, sev, strlen(sev));
    rc |= dbh_buf_append(b, ": ", 2);
    rc |= dbh_buf_append(b, msg, strlen(msg));
    if (detail) {
      rc |= dbh_buf_append(b, "\nDETAIL: ", 9);
      rc |= dbh_buf_append(b, detail, strlen(detail));
    }
    if (hint) {
      rc |= dbh_buf_append(b, "\nHINT: ", 7);
      rc |= dbh_buf_append(b, hint, strlen(hint));
    }
  } else {
    const char *all = PQresultErrorMessage(r);
    rc |= dbh_buf_append(b, all, trimmed_len(all));
  }
  rc |= dbh_buf_append(b, "", 1);
  if (rc != 0)
    b->len = mark; /* out of memory: drop this one whole */
}

/* ============================================================= connections */

static pg_conn *check_conn(lua_State *L) {
  pg_conn *c = luaL_checkudata(L, 1, CONN_MT);
  if (!c->pg)
    luaL_error(L, "attempt to use a closed PostgreSQL connection");
  return c;
}

static int conn_gc(lua_State *L) {
  pg_conn *c = luaL_checkudata(L, 1, CONN_MT);
  pump_remove(c);
  if (c->pg) {
    PQfinish(c->pg);
    c->pg = NULL;
  }
  dbh_buf_free(&c->notices);
  return 0;
}

/* conn:close() -> true   (idempotent) */
static int conn_close(lua_State *L) {
  conn_gc(L);
  lua_pushboolean(L, 1);
  return 1;
}

static int conn_tostring(lua_State *L) {
  pg_conn *c = luaL_checkudata(L, 1, CONN_MT);
  if (c->pg)
    lua_pushfstring(L, "dbhost.pg.conn (pid %d)", PQbackendPID(c->pg));
  else
    lua_pushliteral(L, "dbhost.pg.conn (closed)");
  return 1;
}

/*
** Push nil, message, code for a failed connection attempt and close it. The
** message is libpq's, with any password in the conninfo scrubbed out (libpq
** quotes pieces of unparsable conninfo strings).
*/
static int connect_failed(lua_State *L, pg_conn *c, const char *conninfo, const char *msg,
                          const char *code) {
  pg_box *secrets = box_new(L, BOX_BUF);
  pg_box *scrubbed = box_new(L, BOX_BUF);
  if (collect_secrets(conninfo, strlen(conninfo), &secrets->buf, 0) != 0 ||
      scrub(msg, trimmed_len(msg), &secrets->buf, &scrubbed->buf) != 0) {
    if (c->pg)
      PQfinish(c->pg);
    c->pg = NULL;
    return luaL_error(L, "not enough memory");
  }
  luaL_pushfail(L);
  lua_pushlstring(L, scrubbed->buf.data ? scrubbed->buf.data : "", scrubbed->buf.len);
  lua_pushstring(L, code);
  box_free(secrets);
  box_free(scrubbed);
  if (c->pg)
    PQfinish(c->pg);
  c->pg = NULL;
  return 3;
}

/* The connect_timeout libpq settled on (conninfo or PGCONNECT_TIMEOUT), 0 if none. */
static double conninfo_connect_timeout(PGconn *pg) {
  double v = 0;
  PQconninfoOption *opts = PQconninfo(pg);
  for (PQconninfoOption *o = opts; o && o->keyword; o++)
    if (strcmp(o->keyword, "connect_timeout") == 0 && o->val && *o->val)
      v = strtod(o->val, NULL);
  PQconninfoFree(opts);
  return v > 0 ? v : 0;
}

/* pg.connect(conninfo [, opts]) -> conn | nil, msg, code */
static int pg_connect(lua_State *L) {
  size_t len;
  const char *conninfo = luaL_checklstring(L, 1, &len);
  if (strlen(conninfo) != len)
    return luaL_argerror(L, 1, "contains a zero byte");
  double connect_timeout = opt_seconds(L, 2, "timeout");
  double statement_timeout = opt_seconds(L, 2, "statement_timeout");
  pg_conn *c = lua_newuserdatauv(L, sizeof *c, 0);
  memset(c, 0, sizeof *c);
  luaL_setmetatable(L, CONN_MT);
  c->timeout = statement_timeout;

  /* Parse first so that a malformed conninfo gets its own code ("EINVAL")
  ** rather than looking like an unreachable server. */
  if (is_conninfo(conninfo, len)) {
    pg_box *err = box_new(L, BOX_PQMEM);
    char *msg = NULL;
    PQconninfoOption *parsed = PQconninfoParse(conninfo, &msg);
    err->p = msg;
    if (!parsed)
      return msg ? connect_failed(L, c, conninfo, msg, "EINVAL")
                 : dbh_pusherrno(L, "could not connect", ENOMEM);
    PQconninfoFree(parsed);
    box_free(err);
    lua_pop(L, 1);
  }

  /* Our defaults come first: what the conninfo (expanded as dbname) says wins.
  ** expand_dbname also lets a bare "mydb" mean dbname=mydb, as psql does. */
  static const char *const keys[] = {"fallback_application_name", "client_encoding", "dbname", NULL};
  const char *values[] = {"dbhost", "UTF8", conninfo, NULL};
  c->pg = PQconnectStartParams(keys, values, 1);
  if (!c->pg)
    return dbh_pusherrno(L, "could not connect", ENOMEM);
  PQsetNoticeReceiver(c->pg, notice_receiver, c);
  if (PQstatus(c->pg) == CONNECTION_BAD)
    return connect_failed(L, c, conninfo, PQerrorMessage(c->pg), "08001");

  if (connect_timeout == 0)
    connect_timeout = conninfo_connect_timeout(c->pg);
  double deadline = connect_timeout > 0 ? now_seconds() + connect_timeout : 0;

  /* Drive the handshake: wait for what PQconnectPoll asks, in slices so that
  ** Ctrl-C and the deadline are noticed. libpq's own connect_timeout works only
  ** in its blocking PQconnectdb, hence the deadline here. The socket may change
  ** between calls (several hosts, SSL retry), so it is asked for every time. */
  PostgresPollingStatusType st = PGRES_POLLING_WRITING;
  while (st != PGRES_POLLING_OK) {
    if (st == PGRES_POLLING_FAILED)
      return connect_failed(L, c, conninfo, PQerrorMessage(c->pg), "08001");
    if (dbh_interrupted) {
      PQfinish(c->pg);
      c->pg = NULL;
      return dbh_raise_interrupted(L);
    }
    if (deadline > 0 && now_seconds() >= deadline) {
      PQfinish(c->pg);
      c->pg = NULL;
      return dbh_pushfail(L, "ETIMEDOUT", "could not connect: timeout expired after %f s",
                          (lua_Number)connect_timeout);
    }
    int fd = PQsocket(c->pg);
    int r = fd < 0 ? 1 : wait_socket(fd, st == PGRES_POLLING_READING ? POLLIN : POLLOUT, deadline);
    if (r < 0) {
      int e = errno;
      PQfinish(c->pg);
      c->pg = NULL;
      return dbh_pusherrno(L, "could not connect: poll", e);
    }
    if (r > 0)
      st = PQconnectPoll(c->pg);
  }
  /* Queries are sent without blocking, so that a huge one can be interrupted. */
  if (PQsetnonblocking(c->pg, 1) != 0)
    return connect_failed(L, c, conninfo, PQerrorMessage(c->pg), "08001");
  return 1;
}

/* pg.ping(conninfo) -> "ok"|"reject"|"no_response"|"no_attempt" */
static int pg_ping(lua_State *L) {
  const char *conninfo = luaL_checkstring(L, 1);
  switch (PQping(conninfo)) {
    case PQPING_OK: lua_pushliteral(L, "ok"); break;
    case PQPING_REJECT: lua_pushliteral(L, "reject"); break;
    case PQPING_NO_RESPONSE: lua_pushliteral(L, "no_response"); break;
    default: lua_pushliteral(L, "no_attempt"); break;
  }
  return 1;
}

/* ============================================================= running queries */

/* How waiting for a statement ended. */
enum { RUN_DONE, RUN_TIMED_OUT, RUN_INTERRUPTED, RUN_ABANDONED, RUN_MORE };

/* Ask the server to cancel the running statement (best effort). */
static void send_cancel(PGconn *pg) {
  PGcancel *cancel = PQgetCancel(pg);
  if (cancel) {
    char errbuf[256];
    (void)PQcancel(cancel, errbuf, (int)sizeof errbuf);
    PQfreeCancel(cancel);
  }
}

/*
** Wait for every result of the statement(s) sent on c, appending each as a box
** to the list at index t. On Ctrl-C or when `timeout` seconds pass the statement
** is canceled and its results still drained; when they do not come within
** CANCEL_GRACE the wait gives up (RUN_ABANDONED, the connection is unusable).
** COPY FROM STDIN is refused, COPY TO STDOUT data is discarded. With `one`, returns
** RUN_MORE as soon as one result is appended (unless a cancel is under way: then
** everything is drained as without it).
*/
static int collect_results(lua_State *L, pg_conn *c, double timeout, int t, int one) {
  PGconn *pg = c->pg;
  double deadline = timeout > 0 ? now_seconds() + timeout : 0, give_up = 0;
  int outcome = RUN_DONE, broken = 0, copy_out = 0, copy_in = 0;
  lua_Integer n = luaL_len(L, t);
  for (;;) {
    /* 1. time to cancel, or to give up on a canceled statement? */
    double now = now_seconds();
    if (give_up > 0) {
      if (now >= give_up)
        return RUN_ABANDONED;
    } else if (dbh_interrupted || (deadline > 0 && now >= deadline)) {
      outcome = dbh_interrupted ? RUN_INTERRUPTED : RUN_TIMED_OUT;
      send_cancel(pg);
      give_up = now + CANCEL_GRACE;
    }
    /* 2. move data both ways */
    int pending_out = 0;
    if (!broken) {
      if (copy_in) {
        int e = PQputCopyEnd(pg, "COPY FROM STDIN is not supported by dbhost");
        if (e != 0)
          copy_in = 0;
        broken = e < 0;
      }
      int f = PQflush(pg);
      pending_out = f > 0;
      if (f < 0 || !PQconsumeInput(pg))
        broken = 1; /* the connection is gone: PQgetResult reports why */
    }
    if (broken)
      copy_in = copy_out = 0;
    while (copy_out && !broken) {
      char *row = NULL;
      int got = PQgetCopyData(pg, &row, 1);
      if (row)
        PQfreemem(row);
      if (got == 0)
        break; /* wait for more */
      if (got < 0)
        copy_out = 0;
    }
    /* 3. take every complete result */
    int guard = 0;
    while (!copy_out && !copy_in && (broken || !PQisBusy(pg))) {
      pg_box *b = box_new(L, BOX_RESULT);
      PGresult *r = PQgetResult(pg);
      if (!r || (broken && ++guard > 64)) {
        lua_pop(L, 1);
        if (r)
          PQclear(r);
        return outcome;
      }
      b->p = r;
      lua_rawseti(L, t, ++n);
      ExecStatusType st = PQresultStatus(r);
      if (st == PGRES_COPY_IN)
        copy_in = 1;
      else if (st == PGRES_COPY_OUT || st == PGRES_COPY_BOTH)
        copy_out = 1;
      else if (one && outcome == RUN_DONE && !broken)
        return RUN_MORE;
    }
    if (broken)
      continue; /* no socket to wait on: PQgetResult ends it */
    /* 4. wait for the socket, at most until the next deadline */
    int fd = PQsocket(pg);
    if (fd < 0) {
      broken = 1;
      continue;
    }
    short events = POLLIN;
    if (pending_out || copy_in)
      events |= POLLOUT;
    (void)wait_socket_for(c, fd, events, give_up > 0 ? give_up : deadline);
  }
}

/*
** Finish results left by a call that raised half-way (out of memory): cancel
** and discard them. Raises on Ctrl-C or when the connection had to be closed.
*/
static void drain_leftovers(lua_State *L, pg_conn *c) {
  if (!c->busy)
    return;
  lua_newtable(L);
  int t = lua_gettop(L);
  int outcome = collect_results(L, c, 1e-6, t, 0);
  free_boxes(L, t);
  lua_pop(L, 1);
  c->busy = 0;
  if (outcome == RUN_ABANDONED) {
    PQfinish(c->pg);
    c->pg = NULL;
  }
  if (dbh_interrupted)
    dbh_raise_interrupted(L);
  if (!c->pg)
    luaL_error(L, "PostgreSQL connection closed: the server did not end a canceled statement");
}

/*
** Text for parameter i (nil = NULL). A number or boolean is converted and its
** text replaces it in its stack slot, so every pointer handed to libpq points
** into a Lua string that stays alive (and nothing is malloc'd) until the
** query is sent. Integers print exactly; floats with the fewest digits that
** read back as the same double ("0.1", not "0.10000000000000001"), and the
** non-finite ones in PostgreSQL's spelling.
*/
static const char *param_text(lua_State *L, int i) {
  switch (lua_type(L, i)) {
    case LUA_TNIL:
      return NULL;
    case LUA_TSTRING: {
      size_t n;
      const char *s = lua_tolstring(L, i, &n);
      if (strlen(s) != n)
        luaL_argerror(L, i, "text parameters cannot contain a zero byte");
      return s;
    }
    case LUA_TBOOLEAN:
      lua_pushstring(L, lua_toboolean(L, i) ? "true" : "false");
      break;
    case LUA_TNUMBER:
      if (lua_isinteger(L, i)) {
        lua_pushfstring(L, "%I", (LUAI_UACINT)lua_tointeger(L, i));
      } else {
        double d = (double)lua_tonumber(L, i);
        if (isnan(d)) {
          lua_pushliteral(L, "NaN");
        } else if (isinf(d)) {
          lua_pushstring(L, d > 0 ? "Infinity" : "-Infinity");
        } else {
          char buf[64]; /* the shortest form that reads back as the same double */
          for (int prec = 15; prec <= 17; prec++) {
            snprintf(buf, sizeof buf, "%.*g", prec, d);
            if (strtod(buf, NULL) == d)
              break;
          }
          lua_pushstring(L, buf);
        }
      }
      break;
    default:
      luaL_argerror(L, i, lua_pushfstring(L, "parameter must be a string, number, boolean or nil, got %s",
                                          luaL_typename(L, i)));
      return NULL;
  }
  lua_replace(L, i);
  return lua_tostring(L, i);
}

/*
** Send sql (with the parameters at stack slots first..last when first > 0) and
** wait for its results. On success leaves a list of result boxes on the stack
** and returns 0; otherwise pushes nil, err, sqlstate and returns 3. Raises on
** Ctrl-C after canceling and draining.
*/
static int send_sql(lua_State *L, pg_conn *c, const char *sql, int first, int last);
static int await_sql(lua_State *L, pg_conn *c);

static int run_sql(lua_State *L, pg_conn *c, const char *sql, int first, int last) {
  if (c->sent)
    return luaL_error(L, "a query sent with conn:send() is still waiting: call conn:result() first");
  drain_leftovers(L, c);
  if (!send_sql(L, c, sql, first, last))
    return fail_with_conn_error(L, c->pg);
  return await_sql(L, c);
}

/*
** Send sql with the parameters at stack slots first..last (first = 0: none).
** Returns libpq's verdict (0: not sent, the connection's error says why).
*/
static int send_sql(lua_State *L, pg_conn *c, const char *sql, int first, int last) {
  /* Parameters go through the extended protocol (one statement only); without
  ** them the simple protocol runs the whole string, several statements included. */
  int sent;
  if (first > 0) {
    int n = last - first + 1;
    if (n > 65535)
      return luaL_error(L, "too many parameters (%d, at most 65535)", n);
    const char **vals = lua_newuserdatauv(L, sizeof *vals * (size_t)n, 0);
    for (int i = 0; i < n; i++)
      vals[i] = param_text(L, first + i);
    sent = PQsendQueryParams(c->pg, sql, n, NULL, vals, NULL, NULL, 0);
    lua_pop(L, 1);
  } else {
    sent = PQsendQuery(c->pg, sql);
  }
  return sent;
}

/*
** Wait for the results of the query just sent (see run_sql for what is left on
** the stack and returned).
*/
static int finish_results(lua_State *L, pg_conn *c, int t, int outcome);

static int await_sql(lua_State *L, pg_conn *c) {
  /* busy stays set if collecting raises (out of memory): the next call drains */
  c->busy = 1;
  lua_newtable(L);
  int t = lua_gettop(L);
  int outcome = collect_results(L, c, c->timeout, t, 0);
  c->busy = 0;
  return finish_results(L, c, t, outcome);
}

/*
** The answer to the results collected in the list at t (how collecting ended:
** outcome): 0 with the list left on the stack, or 3 (nil, err, sqlstate pushed).
*/
static int finish_results(lua_State *L, pg_conn *c, int t, int outcome) {
  /* The server ignored the cancel: the connection is in an unknown state, drop it. */
  if (outcome == RUN_ABANDONED) {
    free_boxes(L, t);
    PQfinish(c->pg);
    c->pg = NULL;
    if (dbh_interrupted)
      return dbh_raise_interrupted(L);
    push_error(L, "", 0, "57014");
    lua_pushfstring(L, "statement timed out after %f s and the server did not end it; "
                       "connection closed", (lua_Number)c->timeout);
    lua_setfield(L, -2, "message");
    lua_pushboolean(L, 1);
    lua_setfield(L, -2, "timeout");
    return fail_with_error(L);
  }
  if (outcome == RUN_INTERRUPTED) {
    free_boxes(L, t);
    return dbh_raise_interrupted(L);
  }
  /* The first error result, if any, is the answer: the simple protocol stops at
  ** the first failing statement; a dropped connection may add a second, local
  ** error ("server closed the connection") after the server's own. */
  lua_Integer n = luaL_len(L, t);
  for (lua_Integer i = 1; i <= n; i++) {
    lua_rawgeti(L, t, i);
    pg_box *b = lua_touserdata(L, -1);
    lua_pop(L, 1);
    ExecStatusType st = PQresultStatus(b->p);
    if (st == PGRES_FATAL_ERROR || st == PGRES_BAD_RESPONSE || st == PGRES_NONFATAL_ERROR) {
      push_result_error(L, b->p, c->pg);
      /* which statement of a multi-statement string failed (1-based) */
      lua_pushinteger(L, i);
      lua_setfield(L, -2, "statement_index");
      free_boxes(L, t);
      if (outcome == RUN_TIMED_OUT) {
        lua_getfield(L, -1, "sqlstate");
        if (lua_isstring(L, -1) && strcmp(lua_tostring(L, -1), "57014") == 0) {
          lua_pushfstring(L, "statement timed out after %f s and was canceled",
                          (lua_Number)c->timeout);
          lua_setfield(L, -3, "message");
          lua_pushboolean(L, 1);
          lua_setfield(L, -3, "timeout");
        }
        lua_pop(L, 1);
      }
      return fail_with_error(L);
    }
  }
  return 0;
}

/*
** Push the Lua table for a successful result. Values stay in libpq's text
** format (Lua decides what to convert); NULL is a missing key. Each row is
** stored twice, as res.rows[i] and res[i], the same table. Column names are
** pushed once into `fields` and reused as keys, so a wide result does not
** re-intern every name per row; with duplicate names the last column wins
** in the row (fields keeps them all).
*/
static void push_result(lua_State *L, const PGresult *r) {
  int nt = PQntuples(r), nf = PQnfields(r);
  lua_createtable(L, nt, 7);
  int res = lua_gettop(L);
  lua_createtable(L, nf, 0);
  int fields = lua_gettop(L);
  lua_createtable(L, nf, 0);
  for (int j = 0; j < nf; j++) {
    lua_pushstring(L, PQfname(r, j));
    lua_rawseti(L, fields, j + 1);
    lua_pushinteger(L, (lua_Integer)PQftype(r, j));
    lua_rawseti(L, -2, j + 1);
  }
  lua_setfield(L, res, "types");
  lua_createtable(L, nt, 0);
  int rows = lua_gettop(L);
  for (int i = 0; i < nt; i++) {
    lua_createtable(L, 0, nf);
    for (int j = 0; j < nf; j++) {
      if (PQgetisnull(r, i, j))
        continue;
      lua_rawgeti(L, fields, j + 1);
      lua_pushlstring(L, PQgetvalue(r, i, j), (size_t)PQgetlength(r, i, j));
      lua_rawset(L, -3);
    }
    lua_pushvalue(L, -1);
    lua_rawseti(L, res, i + 1);
    lua_rawseti(L, rows, i + 1);
  }
  lua_setfield(L, res, "rows");
  lua_setfield(L, res, "fields");
  lua_pushinteger(L, nt);
  lua_setfield(L, res, "ntuples");
  lua_pushstring(L, PQcmdStatus((PGresult *)r));
  lua_setfield(L, res, "command");
  const char *affected = PQcmdTuples((PGresult *)r);
  if (affected && *affected) {
    lua_pushinteger(L, strtoll(affected, NULL, 10));
    lua_setfield(L, res, "affected");
  }
}

/* Push the result table for box i of the list at t (an empty one when absent). */
static void push_box_result(lua_State *L, int t, lua_Integer i) {
  lua_rawgeti(L, t, i);
  pg_box *b = lua_touserdata(L, -1);
  lua_pop(L, 1);
  if (b && b->p) {
    push_result(L, b->p);
    box_free(b);
  } else {
    lua_createtable(L, 0, 5);
    lua_newtable(L);
    lua_setfield(L, -2, "rows");
    lua_newtable(L);
    lua_setfield(L, -2, "fields");
    lua_newtable(L);
    lua_setfield(L, -2, "types");
    lua_pushinteger(L, 0);
    lua_setfield(L, -2, "ntuples");
    lua_pushliteral(L, "");
    lua_setfield(L, -2, "command");
  }
}

/* The SQL text argument: a string without zero bytes (libpq reads C strings). */
static const char *check_sql(lua_State *L, int i) {
  size_t n;
  const char *sql = luaL_checklstring(L, i, &n);
  if (strlen(sql) != n)
    luaL_argerror(L, i, "SQL text cannot contain a zero byte");
  return sql;
}

/* Free every result of the list on top of the stack but the last, and push that one. */
static void push_last_result(lua_State *L) {
  int t = lua_gettop(L);
  lua_Integer n = luaL_len(L, t);
  for (lua_Integer i = 1; i < n; i++) { /* only the last result is returned */
    lua_rawgeti(L, t, i);
    box_free(lua_touserdata(L, -1));
    lua_pop(L, 1);
  }
  push_box_result(L, t, n);
}

/* Run the statement for exec and query: 0 with the last result pushed, or 3. */
static int exec_last(lua_State *L) {
  pg_conn *c = check_conn(L);
  const char *sql = check_sql(L, 2);
  int top = lua_gettop(L);
  int rc = run_sql(L, c, sql, top > 2 ? 3 : 0, top);
  if (rc != 0)
    return rc;
  push_last_result(L);
  return 0;
}

/* conn:exec(sql [, p1, ...]) -> res | nil, err, sqlstate */
static int conn_exec(lua_State *L) {
  int rc = exec_last(L);
  return rc ? rc : 1;
}

/* conn:query(sql [, p1, ...]) -> rows | nil, err, sqlstate */
static int conn_query(lua_State *L) {
  int rc = exec_last(L);
  if (rc)
    return rc;
  lua_getfield(L, -1, "rows");
  return 1;
}

/*
** conn:send(sql [, p1, ...]) -> true | nil, err, sqlstate: send a query and return
** at once, so that several connections work at the same time (the inspection of
** two databases, for one); conn:result() waits for it. Nothing else may run on the
** connection in between. Raises when a sent query's result was not read yet.
*/
static int conn_send(lua_State *L) {
  pg_conn *c = check_conn(L);
  const char *sql = check_sql(L, 2);
  int top = lua_gettop(L);
  if (c->sent)
    return luaL_error(L, "a query sent with conn:send() is still waiting: call conn:result() first");
  drain_leftovers(L, c);
  if (!send_sql(L, c, sql, top > 2 ? 3 : 0, top))
    return fail_with_conn_error(L, c->pg);
  c->sent = 1;
  pump_add(c);
  lua_pushboolean(L, 1);
  return 1;
}

/*
** conn:result() -> res | nil, err, sqlstate: wait for the query conn:send() sent
** and return its last result, as conn:exec would (the connection's timeout and
** Ctrl-C apply). Raises when no query was sent.
*/
static int conn_result(lua_State *L) {
  pg_conn *c = check_conn(L);
  if (!c->sent)
    return luaL_error(L, "conn:result() without a query sent by conn:send()");
  c->sent = 0;
  pump_remove(c);
  pump_others(c);
  int rc = await_sql(L, c);
  if (rc != 0)
    return rc;
  push_last_result(L);
  return 1;
}

/*
** conn:next_result() -> res | false | nil, err, sqlstate: the next result of what
** conn:send() sent (several statements give one result each), as soon as it has
** arrived, so that Lua works on it while the server runs the next statement; false
** when every result was read (the connection is then free). A failed statement
** ends the list: its error is returned and the rest read and dropped.
*/
static int conn_next_result(lua_State *L) {
  pg_conn *c = check_conn(L);
  if (!c->sent)
    return luaL_error(L, "conn:next_result() without a query sent by conn:send()");
  pump_others(c);
  c->busy = 1;
  lua_newtable(L);
  int t = lua_gettop(L);
  int outcome = collect_results(L, c, c->timeout, t, 1);
  if (outcome == RUN_MORE) {
    lua_rawgeti(L, t, 1);
    pg_box *b = lua_touserdata(L, -1);
    lua_pop(L, 1);
    ExecStatusType st = PQresultStatus(b->p);
    if (st != PGRES_FATAL_ERROR && st != PGRES_BAD_RESPONSE && st != PGRES_NONFATAL_ERROR) {
      c->busy = 0;
      push_box_result(L, t, 1);
      return 1;
    }
    /* the statements after a failed one do not run: read what is left */
    outcome = collect_results(L, c, c->timeout, t, 0);
  }
  c->busy = 0;
  c->sent = 0;
  pump_remove(c);
  int rc = finish_results(L, c, t, outcome);
  if (rc != 0)
    return rc;
  if (luaL_len(L, t) == 0) {
    lua_pushboolean(L, 0);
    return 1;
  }
  push_last_result(L);
  return 1;
}

/*
** conn:busy() -> bool: is the query sent with conn:send() still running (its result has
** not all arrived)? Never waits: reads what the server has sent so far. False when no
** query was sent, or when the connection broke (conn:result() then says why).
*/
static int conn_busy(lua_State *L) {
  pg_conn *c = check_conn(L);
  int busy = c->sent && PQconsumeInput(c->pg) && PQisBusy(c->pg);
  lua_pushboolean(L, busy);
  return 1;
}

/* conn:exec_all(sql) -> { res, ... } | nil, err, sqlstate */
static int conn_exec_all(lua_State *L) {
  pg_conn *c = check_conn(L);
  const char *sql = check_sql(L, 2);
  int rc = run_sql(L, c, sql, 0, 0);
  if (rc != 0)
    return rc;
  int t = lua_gettop(L);
  lua_Integer n = luaL_len(L, t);
  lua_createtable(L, (int)n, 0);
  for (lua_Integer i = 1; i <= n; i++) {
    push_box_result(L, t, i);
    lua_rawseti(L, -2, i);
  }
  return 1;
}

/* ============================================================= small methods */

/* conn:set_timeout(seconds | nil) */
static int conn_set_timeout(lua_State *L) {
  pg_conn *c = check_conn(L);
  double v = (double)luaL_optnumber(L, 2, 0);
  luaL_argcheck(L, v >= 0, 2, "must be a number of seconds >= 0");
  c->timeout = v;
  return 0;
}

/* conn:notices() -> { "NOTICE: text", ... } and forgets them */
static int conn_notices(lua_State *L) {
  pg_conn *c = check_conn(L);
  lua_newtable(L);
  lua_Integer i = 0;
  for (size_t k = 0; k < c->notices.len; k += strlen(c->notices.data + k) + 1) {
    lua_pushstring(L, c->notices.data + k);
    lua_rawseti(L, -2, ++i);
  }
  c->notices.len = 0;
  return 1;
}

/* conn:status() -> "ok"|"bad" */
static int conn_status(lua_State *L) {
  pg_conn *c = check_conn(L);
  lua_pushstring(L, PQstatus(c->pg) == CONNECTION_OK ? "ok" : "bad");
  return 1;
}

/* conn:transaction_status() -> "idle"|"active"|"intrans"|"inerror"|"unknown" */
static int conn_transaction_status(lua_State *L) {
  pg_conn *c = check_conn(L);
  switch (PQtransactionStatus(c->pg)) {
    case PQTRANS_IDLE: lua_pushliteral(L, "idle"); break;
    case PQTRANS_ACTIVE: lua_pushliteral(L, "active"); break;
    case PQTRANS_INTRANS: lua_pushliteral(L, "intrans"); break;
    case PQTRANS_INERROR: lua_pushliteral(L, "inerror"); break;
    default: lua_pushliteral(L, "unknown"); break;
  }
  return 1;
}

/* conn:backend_pid() -> integer */
static int conn_backend_pid(lua_State *L) {
  lua_pushinteger(L, PQbackendPID(check_conn(L)->pg));
  return 1;
}

/* conn:server_version() -> integer (150004 for 15.4) */
static int conn_server_version(lua_State *L) {
  lua_pushinteger(L, PQserverVersion(check_conn(L)->pg));
  return 1;
}

/* conn:socket() -> integer */
static int conn_socket(lua_State *L) {
  lua_pushinteger(L, PQsocket(check_conn(L)->pg));
  return 1;
}

/*
** Shared by escape_identifier and escape_literal. libpq mallocs the result, so
** it goes into a box first: pushing the Lua copy may raise (out of memory).
** libpq checks the text against the client encoding (UTF8 by default).
*/
static int escape_with(lua_State *L, char *(*escape)(PGconn *, const char *, size_t)) {
  pg_conn *c = check_conn(L);
  size_t n;
  const char *s = luaL_checklstring(L, 2, &n);
  pg_box *b = box_new(L, BOX_PQMEM);
  b->p = escape(c->pg, s, n);
  if (!b->p) {
    const char *msg = PQerrorMessage(c->pg);
    luaL_pushfail(L);
    lua_pushlstring(L, msg, trimmed_len(msg));
    lua_pushliteral(L, "22021");
    return 3;
  }
  lua_pushstring(L, b->p);
  box_free(b);
  return 1;
}

/* conn:escape_identifier(s) -> string | nil, msg, code ("22021" bad encoding) */
static int conn_escape_identifier(lua_State *L) {
  return escape_with(L, PQescapeIdentifier);
}

/* conn:escape_literal(s) -> string | nil, msg, code ("22021" bad encoding) */
static int conn_escape_literal(lua_State *L) {
  return escape_with(L, PQescapeLiteral);
}

/*
** conn:cancel() -> true | nil, msg, code: ask the server to cancel whatever
** statement this connection runs (a new short connection carries the request;
** true means it was delivered, not that something was canceled). Code "08001"
** when the server cannot be reached, "08003" on a broken connection.
*/
static int conn_cancel(lua_State *L) {
  pg_conn *c = check_conn(L);
  PGcancel *cancel = PQgetCancel(c->pg);
  if (!cancel)
    return dbh_pushfail(L, "08003", "cannot cancel: no connection to the server");
  char errbuf[256];
  int ok = PQcancel(cancel, errbuf, (int)sizeof errbuf);
  PQfreeCancel(cancel);
  if (!ok) {
    errbuf[sizeof errbuf - 1] = '\0';
    errbuf[trimmed_len(errbuf)] = '\0';
    return dbh_pushfail(L, "08001", "cannot cancel: %s", errbuf);
  }
  lua_pushboolean(L, 1);
  return 1;
}

/* ============================================================= module */

static const luaL_Reg conn_methods[] = {
  {"exec", conn_exec},
  {"exec_all", conn_exec_all},
  {"send", conn_send},
  {"result", conn_result},
  {"next_result", conn_next_result},
  {"busy", conn_busy},
  {"query", conn_query},
  {"set_timeout", conn_set_timeout},
  {"notices", conn_notices},
  {"status", conn_status},
  {"transaction_status", conn_transaction_status},
  {"backend_pid", conn_backend_pid},
  {"server_version", conn_server_version},
  {"socket", conn_socket},
  {"escape_identifier", conn_escape_identifier},
  {"escape_literal", conn_escape_literal},
  {"cancel", conn_cancel},
  {"close", conn_close},
  {NULL, NULL},
};

static const luaL_Reg box_methods[] = {{NULL, NULL}};

static const luaL_Reg pg_functions[] = {
  {"connect", pg_connect},
  {"conninfo_parse", pg_conninfo_parse},
  {"conninfo_secrets", pg_conninfo_secrets},
  {"scrub", pg_scrub},
  {"ping", pg_ping},
  {NULL, NULL},
};

int luaopen_dbhost_pg(lua_State *L);

int luaopen_dbhost_pg(lua_State *L) {
  dbh_newclass(L, CONN_MT, conn_methods, conn_gc);
  lua_pushcfunction(L, conn_tostring);
  lua_setfield(L, -2, "__tostring");
  lua_pop(L, 1);
  dbh_newclass(L, BOX_MT, box_methods, box_gc);
  lua_pop(L, 1);
  luaL_newmetatable(L, ERROR_MT);
  lua_pushcfunction(L, error_tostring);
  lua_setfield(L, -2, "__tostring");
  lua_pop(L, 1);
  luaL_newlib(L, pg_functions);
  return 1;
}
