/*
** yaml.c: the dbhost.yaml module, reading YAML (CloudFormation templates)
** with libyaml's event API and editing one scalar in place.
**
**   yaml.load(text [, filename])                -> value | nil, msg, code
**   yaml.locate(text, path [, filename])        -> loc   | nil, msg, code
**   yaml.set_scalar(text, path, value [, filename]) -> newtext | nil, msg, code
**
** Values (load, and loc.value):
**   - a mapping is a table with string keys, a sequence an array (1-based);
**   - every scalar is a string, exactly as YAML reads it: `true`, `~`, `42`
**     stay "true", "~", "42" (CloudFormation reads most scalars as strings;
**     callers convert where they need to);
**   - a node with a tag other than the standard `!!` ones and the bare `!`
**     (CloudFormation's short forms `!Ref`, `!GetAtt`, `!Sub`, `!If`, any
**     `!Tag`, `%TAG` handles, `!<verbatim>`) is { tag = "!Ref", value = v };
**   - an alias is the anchored value itself (the same table, not a copy);
**   - mapping keys must be scalars (their tags are ignored); a duplicate key,
**     an undefined alias or a second document is an "EYAML" error;
**   - an empty stream (no document) is an "EYAML" error.
**
** Paths: "A.B.C" (mapping keys separated by dots) or an array of segments
** { "A", "B.with.dots", 3 }. A segment made of digits indexes a sequence,
** counting from 1 like the arrays load returns; on a mapping it is a key.
** "" (or {}) is the document's root node.
**
** loc = { start=, stop=, line=, col=, style=, value=, tag=, anchor=, flow= }
**   start, stop: byte offsets, 1-based and inclusive (text:sub(start, stop)
**     is the scalar's source: quotes included; tag and anchor excluded). An
**     empty plain scalar (`key:` or `key: !Ref`) has stop == start - 1 at the
**     spot a value would go. For a block scalar (| or >) the span runs from
**     the indicator through the line break that ends its last line.
**   line, col: 1-based position of `start` (col counts characters).
**   style: "plain" | "single" | "double" | "literal" | "folded".
**   tag, anchor: as written on the scalar (tag resolved, e.g. "!Sub"), or nil.
**   flow: true when the scalar sits inside a flow collection ({..} or [..]).
**
** set_scalar replaces only text:sub(start, stop). A plain scalar stays plain
** when the new value reads back as the same string (else it becomes double-
** quoted: values a YAML 1.1 reader could take for a number, boolean, null
** or timestamp, or that hold indicators, are quoted); single-quoted stays single-quoted unless the value
** needs escapes; double-quoted stays double-quoted. The tag, the anchor and
** every other byte are kept. Setting the value it already has returns the
** text unchanged. Block scalars are refused ("ESTYLE"). The edited text is
** parsed again and must locate to the new value, else "ESTYLE".
**
** Codes: "EYAML" (does not parse; message "FILE:LINE:COL: problem"),
** "ENOPATH" (message `FILE: no key "K" under A.B (line N)`), "ENOTSCALAR"
** (the node is a mapping, sequence or alias, or the path goes through an
** alias), "ESTYLE" (set_scalar cannot rewrite it in place), "ENOMEM".
** A value that is not valid UTF-8 is misuse and raises.
**
** Memory: libyaml's parser, event and token live in a userdata whose __gc
** deletes them, so no raise (not even a Lua memory error) can leak them;
** they are deleted explicitly before any result is returned.
*/
#include "common.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <yaml.h>

#define YAML_STATE_CLASS "dbhost.yaml.state"
#define DEFAULT_NAME "<string>"
#define MAX_DEPTH 400       /* nesting limit: bounds C recursion and the Lua stack */
#define MSG_SIZE 1024       /* error messages are built in fixed buffers */
#define KEY_SHOWN 200       /* longest key quoted in a message */

/* libyaml state owned by a Lua userdata (see the header comment). */
typedef struct yaml_state {
  yaml_parser_t parser;
  yaml_event_t event;
  yaml_token_t token;
  int parser_live, event_live, token_live;
} yaml_state;

/* One path segment; points into a Lua string kept alive on the stack. */
typedef struct seg {
  const char *s;
  size_t len;
} seg;

/*
** Everything one walk over the event stream needs and finds. load and locate
** share the walk: it always builds the Lua value (so both accept exactly the
** same documents) and, for locate, follows the path as it goes. The whole
** document is read even after the path is resolved, so a syntax error
** anywhere wins over a path problem, and set_scalar never edits a file that
** does not parse.
*/
typedef struct walk {
  lua_State *L;
  yaml_state *st;
  const char *text;
  size_t len;
  const char *name;           /* file name for messages */
  const seg *path;
  int nseg;                   /* -1 for load: no path to follow */
  int anchors;                /* stack index: anchor name -> value */
  int result;                 /* stack index of locate's result table, or 0 */
  /* the scalar at the path */
  int found, has_props, flow, style;
  yaml_mark_t start, end;
  /* hard errors stop the walk; soft ones (path problems) are reported
  ** only when the whole document parsed */
  const char *hard_code, *soft_code;
  char hard[MSG_SIZE], soft[MSG_SIZE];
} walk;

/* ---- libyaml state --------------------------------------------------- */

static void state_release(yaml_state *s) {
  if (s->event_live) {
    yaml_event_delete(&s->event);
    s->event_live = 0;
  }
  if (s->token_live) {
    yaml_token_delete(&s->token);
    s->token_live = 0;
  }
  if (s->parser_live) {
    yaml_parser_delete(&s->parser);
    s->parser_live = 0;
  }
}

/* __gc / __close of the state userdata */
static int state_gc(lua_State *L) {
  state_release(luaL_checkudata(L, 1, YAML_STATE_CLASS));
  return 0;
}

/* Start a parser over text in s; 0 when libyaml is out of memory. libyaml
** skips a UTF-8 byte order mark without counting it (see bom_size). */
static int state_open(yaml_state *s, const char *text, size_t len) {
  state_release(s);
  if (!yaml_parser_initialize(&s->parser))
    return 0;
  s->parser_live = 1;
  yaml_parser_set_input_string(&s->parser, (const unsigned char *)text, len);
  return 1;
}

/* Push a new, empty state userdata. */
static yaml_state *state_new(lua_State *L) {
  yaml_state *s = lua_newuserdatauv(L, sizeof *s, 0);
  memset(s, 0, sizeof *s);
  luaL_setmetatable(L, YAML_STATE_CLASS);
  return s;
}

/* ---- UTF-8 and positions ---------------------------------------------- */

/*
** Decode one UTF-8 sequence at s[0..n): returns its length (1-4) and sets
** *cp, or returns 0 for an invalid, overlong, surrogate or truncated one.
*/
static size_t utf8_decode(const unsigned char *s, size_t n, unsigned long *cp) {
  unsigned long c = s[0], min;
  size_t len;
  if (c < 0x80) {
    *cp = c;
    return 1;
  } else if (c >= 0xC2 && c <= 0xDF) {
    len = 2, c &= 0x1F, min = 0x80;
  } else if (c >= 0xE0 && c <= 0xEF) {
    len = 3, c &= 0x0F, min = 0x800;
  } else if (c >= 0xF0 && c <= 0xF4) {
    len = 4, c &= 0x07, min = 0x10000;
  } else {
    return 0;
  }
  if (n < len)
    return 0;
  for (size_t i = 1; i < len; i++) {
    if ((s[i] & 0xC0) != 0x80)
      return 0;
    c = (c << 6) | (s[i] & 0x3F);
  }
  if (c < min || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF))
    return 0;
  *cp = c;
  return len;
}

static int utf8_valid(const char *s, size_t n) {
  unsigned long cp;
  for (size_t i = 0; i < n;) {
    size_t k = utf8_decode((const unsigned char *)s + i, n - i, &cp);
    if (k == 0)
      return 0;
    i += k;
  }
  return 1;
}

/* 3 when text starts with a UTF-8 byte order mark, else 0. */
static size_t bom_size(const char *text, size_t len) {
  return len >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0 ? 3 : 0;
}

/* Does text start with a UTF-16 or UTF-32 byte order mark? libyaml would
** convert such text, and its marks would not be byte offsets of the input. */
static int wide_bom(const char *text, size_t len) {
  return len >= 2 && (memcmp(text, "\xFF\xFE", 2) == 0 || memcmp(text, "\xFE\xFF", 2) == 0);
}

/*
** Byte offset of character number `ch` in text. libyaml's mark.index counts
** characters (a CRLF is two) after the byte order mark, and a text that
** parsed is valid UTF-8, so skipping continuation bytes is enough.
*/
static size_t byte_offset(const char *text, size_t len, size_t ch) {
  size_t b = bom_size(text, len);
  while (ch > 0 && b < len) {
    b++;
    while (b < len && ((unsigned char)text[b] & 0xC0) == 0x80)
      b++;
    ch--;
  }
  return b;
}

/* A character YAML can hold unescaped on one line (tab included). */
static int inline_printable(unsigned long cp) {
  if (cp == 0x09 || (cp >= 0x20 && cp <= 0x7E))
    return 1;
  if (cp >= 0xA0 && cp <= 0xD7FF)
    return cp != 0x2028 && cp != 0x2029;   /* LS and PS are line breaks */
  if (cp >= 0xE000 && cp <= 0xFFFD)
    return cp != 0xFEFF;
  return cp >= 0x10000 && cp <= 0x10FFFF;
}

/* ---- error messages --------------------------------------------------- */

/* Record a hard error "NAME:LINE:COL: ..." (first one wins); returns 0. */
static int fail_at(walk *w, const char *code, size_t line, size_t col,
                   const char *fmt, ...) {
  if (w->hard_code)
    return 0;
  va_list ap;
  int n = snprintf(w->hard, sizeof w->hard, "%s:%zu:%zu: ", w->name, line, col);
  if (n < 0 || (size_t)n >= sizeof w->hard)
    n = 0;
  va_start(ap, fmt);
  vsnprintf(w->hard + n, sizeof w->hard - (size_t)n, fmt, ap);
  va_end(ap);
  w->hard_code = code;
  return 0;
}

/* The same at a libyaml mark (0-based line and column). */
#define fail_mark(w, code, mark, ...) \
  fail_at((w), (code), (mark).line + 1, (mark).column + 1, __VA_ARGS__)

/* Record a soft (path) error; the format includes the file name. */
static void soft_fail(walk *w, const char *code, const char *fmt, ...) {
  if (w->soft_code)
    return;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(w->soft, sizeof w->soft, fmt, ap);
  va_end(ap);
  w->soft_code = code;
}

/* Line and column (1-based) of byte offset `off`, for reader errors. */
static void line_col_of(const char *text, size_t len, size_t off,
                        size_t *line, size_t *col) {
  size_t l = 1, c = 1;
  for (size_t i = bom_size(text, len); i < off && i < len; i++) {
    unsigned char ch = (unsigned char)text[i];
    if (ch == '\n' || (ch == '\r' && (i + 1 >= len || text[i + 1] != '\n'))) {
      l++;
      c = 1;
    } else if ((ch & 0xC0) != 0x80 && ch != '\r') {
      c++;
    }
  }
  *line = l;
  *col = c;
}

/* Turn libyaml's error state into a hard error; returns 0. */
static int fail_parser(walk *w) {
  yaml_parser_t *p = &w->st->parser;
  const char *problem = p->problem ? p->problem : "unknown libyaml error";
  if (p->error == YAML_MEMORY_ERROR)
    return fail_at(w, "ENOMEM", 1, 1, "out of memory while parsing YAML");
  if (p->error == YAML_READER_ERROR) {
    size_t line, col;
    line_col_of(w->text, w->len, p->problem_offset, &line, &col);
    if (p->problem_value != -1)
      return fail_at(w, "EYAML", line, col, "%s (byte 0x%02X)", problem,
                     (unsigned)p->problem_value & 0xFFu);
    return fail_at(w, "EYAML", line, col, "%s", problem);
  }
  if (p->context)
    return fail_mark(w, "EYAML", p->problem_mark, "%s (%s that started at line %zu, column %zu)",
                     problem, p->context, p->context_mark.line + 1,
                     p->context_mark.column + 1);
  return fail_mark(w, "EYAML", p->problem_mark, "%s", problem);
}

/* "A.B.C" for the first k segments of path, into buf (for messages). */
static const char *path_text(const seg *path, int k, char *buf, size_t size) {
  if (k == 0)
    return "the document root";
  size_t n = 0;
  buf[0] = '\0';
  for (int i = 0; i < k && n + 1 < size; i++) {
    int m = snprintf(buf + n, size - n, "%s%.*s", i ? "." : "",
                     (int)(path[i].len > KEY_SHOWN ? KEY_SHOWN : path[i].len),
                     path[i].s);
    if (m < 0)
      break;
    n += (size_t)m;
  }
  return buf;
}

/* The segment as a 1-based sequence index, or 0 when it is not one. */
static size_t seg_index(const seg *s) {
  if (s->len == 0 || s->len > 15 || s->s[0] == '0')
    return 0;
  size_t v = 0;
  for (size_t i = 0; i < s->len; i++) {
    if (s->s[i] < '0' || s->s[i] > '9')
      return 0;
    v = v * 10 + (size_t)(s->s[i] - '0');
  }
  return v;
}

#define SEG_SHOWN(sg) (int)((sg)->len > KEY_SHOWN ? KEY_SHOWN : (sg)->len), (sg)->s

/* ---- the walk over events ---------------------------------------------- */

/* Fetch the next event into w->st->event (deleting the previous one). */
static int next_event(walk *w) {
  yaml_state *s = w->st;
  if (s->event_live) {
    yaml_event_delete(&s->event);
    s->event_live = 0;
  }
  if (!yaml_parser_parse(&s->parser, &s->event))
    return fail_parser(w);
  s->event_live = 1;
  return 1;
}

/* Tags load keeps: everything but the bare "!" and the standard !! ones. */
static int keeps_tag(const yaml_char_t *tag) {
  return tag && strcmp((const char *)tag, "!") != 0 &&
         strncmp((const char *)tag, "tag:yaml.org,2002:", 18) != 0;
}

/* anchors[anchor] = value at index idx */
static void set_anchor(walk *w, const yaml_char_t *anchor, int idx) {
  if (!anchor)
    return;
  lua_pushstring(w->L, (const char *)anchor);
  lua_pushvalue(w->L, idx);
  lua_rawset(w->L, w->anchors);
}

/*
** Push the start of a node's value: a wrapper {tag=, value=} when the tag is
** kept, else nothing. Returns 1 when a wrapper was pushed.
*/
static int push_wrapper(walk *w, const yaml_char_t *tag) {
  if (!keeps_tag(tag))
    return 0;
  lua_createtable(w->L, 0, 2);
  lua_pushstring(w->L, (const char *)tag);
  lua_setfield(w->L, -2, "tag");
  return 1;
}

static int walk_node(walk *w, int depth, int matched, size_t line, int flow);

/* Is this node the one at the end of the path? (never for load) */
static int at_target(const walk *w, int matched) {
  return matched >= 0 && matched == w->nseg;
}

/* A scalar event: push its string (wrapped when tagged). */
static int walk_scalar(walk *w, int matched, size_t line, int flow) {
  lua_State *L = w->L;
  yaml_event_t *ev = &w->st->event;
  int base = lua_gettop(L);
  int wrapped = push_wrapper(w, ev->data.scalar.tag);
  lua_pushlstring(L, (const char *)ev->data.scalar.value, ev->data.scalar.length);
  if (wrapped)
    lua_setfield(L, -2, "value");
  set_anchor(w, ev->data.scalar.anchor, base + 1);
  if (at_target(w, matched)) {
    /* the scalar at the path: keep what the event knows before it goes */
    w->found = 1;
    w->start = ev->start_mark;
    w->end = ev->end_mark;
    w->style = ev->data.scalar.style;
    w->flow = flow;
    w->has_props = ev->data.scalar.anchor != NULL || ev->data.scalar.tag != NULL;
    lua_pushlstring(L, (const char *)ev->data.scalar.value, ev->data.scalar.length);
    lua_setfield(L, w->result, "value");
    if (ev->data.scalar.tag) {
      lua_pushstring(L, (const char *)ev->data.scalar.tag);
      lua_setfield(L, w->result, "tag");
    }
    if (ev->data.scalar.anchor) {
      lua_pushstring(L, (const char *)ev->data.scalar.anchor);
      lua_setfield(L, w->result, "anchor");
    }
  } else if (matched >= 0) {
    char buf[MSG_SIZE / 2];
    const char *where = path_text(w->path, matched, buf, sizeof buf);
    soft_fail(w, "ENOPATH", "%s: no key \"%.*s\" under %s (line %zu): %s is a scalar",
              w->name, SEG_SHOWN(&w->path[matched]), where, line, where);
  }
  return 1;
}

/* An alias: push the anchored value. */
static int walk_alias(walk *w, int matched) {
  lua_State *L = w->L;
  yaml_event_t *ev = &w->st->event;
  const char *anchor = (const char *)ev->data.alias.anchor;
  lua_pushstring(L, anchor);
  if (lua_rawget(L, w->anchors) == LUA_TNIL)
    return fail_mark(w, "EYAML", ev->start_mark, "undefined alias *%s", anchor);
  if (matched >= 0) {
    char buf[MSG_SIZE / 2];
    const char *where = path_text(w->path, matched, buf, sizeof buf);
    if (at_target(w, matched))
      soft_fail(w, "ENOTSCALAR", "%s:%zu:%zu: %s is an alias (*%s), not a scalar",
                w->name, ev->start_mark.line + 1, ev->start_mark.column + 1,
                where, anchor);
    else
      soft_fail(w, "ENOTSCALAR",
                "%s:%zu:%zu: %s is an alias (*%s); paths do not go through aliases",
                w->name, ev->start_mark.line + 1, ev->start_mark.column + 1,
                where, anchor);
  }
  return 1;
}

/* Report that the node at the full path is a collection. */
static void not_scalar(walk *w, const yaml_mark_t *mark, const char *what) {
  char buf[MSG_SIZE / 2];
  soft_fail(w, "ENOTSCALAR", "%s:%zu:%zu: %s is a %s, not a scalar", w->name,
            mark->line + 1, mark->column + 1,
            path_text(w->path, w->nseg, buf, sizeof buf), what);
}

/*
** A sequence: push an array of its items. `matched` path segments led here
** (-1: off the path); the next segment, if any, must be an item number.
*/
static int walk_sequence(walk *w, int depth, int matched, size_t line, int flow) {
  lua_State *L = w->L;
  yaml_event_t *ev = &w->st->event;
  yaml_mark_t mark = ev->start_mark;
  int base = lua_gettop(L);
  int wrapped = push_wrapper(w, ev->data.sequence_start.tag);
  lua_newtable(L);
  if (wrapped) {
    lua_pushvalue(L, -1);
    lua_setfield(L, -3, "value");
  }
  int t = lua_gettop(L);
  set_anchor(w, ev->data.sequence_start.anchor, base + 1);
  flow = flow || ev->data.sequence_start.style == YAML_FLOW_SEQUENCE_STYLE;
  /* on the path: the next segment must be an item number (1-based) */
  int searching = matched >= 0 && matched < w->nseg;
  size_t want = searching ? seg_index(&w->path[matched]) : 0, n = 0;
  /* events: node* SEQUENCE-END */
  for (;;) {
    if (!next_event(w))
      return 0;
    if (ev->type == YAML_SEQUENCE_END_EVENT)
      break;
    n++;
    int child = searching && want == n ? matched + 1 : -1;
    if (!walk_node(w, depth + 1, child, ev->start_mark.line + 1, flow))
      return 0;
    lua_rawseti(L, t, (lua_Integer)n);
  }
  if (searching && (want == 0 || want > n)) {
    char buf[MSG_SIZE / 2];
    const char *where = path_text(w->path, matched, buf, sizeof buf);
    if (want == 0)
      soft_fail(w, "ENOPATH",
                "%s: no key \"%.*s\" under %s (line %zu): %s is a sequence (items count from 1)",
                w->name, SEG_SHOWN(&w->path[matched]), where, line, where);
    else
      soft_fail(w, "ENOPATH", "%s: no item %zu under %s (line %zu): it has %zu",
                w->name, want, where, line, n);
  }
  if (at_target(w, matched))
    not_scalar(w, &mark, "sequence");
  lua_settop(L, base + 1);
  return 1;
}

/* A mapping: push a table keyed by the (scalar) keys. */
static int walk_mapping(walk *w, int depth, int matched, size_t line, int flow) {
  lua_State *L = w->L;
  yaml_event_t *ev = &w->st->event;
  yaml_mark_t mark = ev->start_mark;
  int base = lua_gettop(L);
  int wrapped = push_wrapper(w, ev->data.mapping_start.tag);
  lua_newtable(L);
  if (wrapped) {
    lua_pushvalue(L, -1);
    lua_setfield(L, -3, "value");
  }
  int t = lua_gettop(L);
  set_anchor(w, ev->data.mapping_start.anchor, base + 1);
  flow = flow || ev->data.mapping_start.style == YAML_FLOW_MAPPING_STYLE;
  /* on the path and not yet at its end: look for the next segment's key */
  int searching = matched >= 0 && matched < w->nseg, hit = 0;
  const seg *want = searching ? &w->path[matched] : NULL;
  /* events: (key value)* MAPPING-END; every key must be a plain string */
  for (;;) {
    if (!next_event(w))
      return 0;
    if (ev->type == YAML_MAPPING_END_EVENT)
      break;
    if (ev->type == YAML_ALIAS_EVENT)
      return fail_mark(w, "EYAML", ev->start_mark, "an alias (*%s) cannot be a mapping key",
                       (const char *)ev->data.alias.anchor);
    if (ev->type != YAML_SCALAR_EVENT)
      return fail_mark(w, "EYAML", ev->start_mark,
                       "mapping keys must be scalars, not a %s",
                       ev->type == YAML_MAPPING_START_EVENT ? "mapping" : "sequence");
    const char *key = (const char *)ev->data.scalar.value;
    size_t klen = ev->data.scalar.length;
    size_t kline = ev->start_mark.line + 1;
    /* the key stays on the stack for lua_rawset after the value */
    lua_pushlstring(L, key, klen);
    set_anchor(w, ev->data.scalar.anchor, lua_gettop(L));
    lua_pushvalue(L, -1);   /* duplicate keys: CloudFormation rejects them too */
    if (lua_rawget(L, t) != LUA_TNIL)
      return fail_mark(w, "EYAML", ev->start_mark, "duplicate key \"%.*s\"",
                       (int)(klen > KEY_SHOWN ? KEY_SHOWN : klen), key);
    lua_pop(L, 1);
    int child = -1;
    if (want && klen == want->len && memcmp(key, want->s, klen) == 0) {
      child = matched + 1;
      hit = 1;
    }
    if (!next_event(w) || !walk_node(w, depth + 1, child, kline, flow))
      return 0;
    lua_rawset(L, t);
  }
  if (searching && !hit) {
    char buf[MSG_SIZE / 2];
    soft_fail(w, "ENOPATH", "%s: no key \"%.*s\" under %s (line %zu)", w->name,
              SEG_SHOWN(want), path_text(w->path, matched, buf, sizeof buf), line);
  }
  if (at_target(w, matched))
    not_scalar(w, &mark, "mapping");
  lua_settop(L, base + 1);
  return 1;
}

/*
** Walk the node whose first event is in w->st->event and push its value.
** `line` is the line of the key or item holding it, for messages.
** Returns 1, or 0 after recording a hard error (the stack is then unknown).
*/
static int walk_node(walk *w, int depth, int matched, size_t line, int flow) {
  yaml_event_t *ev = &w->st->event;
  if (depth > MAX_DEPTH)
    return fail_mark(w, "EYAML", ev->start_mark, "nested deeper than %d levels", MAX_DEPTH);
  if (!lua_checkstack(w->L, 10))
    return fail_mark(w, "ENOMEM", ev->start_mark, "out of Lua stack space");
  switch (ev->type) {
    case YAML_SCALAR_EVENT:
      return walk_scalar(w, matched, line, flow);
    case YAML_ALIAS_EVENT:
      return walk_alias(w, matched);
    case YAML_SEQUENCE_START_EVENT:
      return walk_sequence(w, depth, matched, line, flow);
    case YAML_MAPPING_START_EVENT:
      return walk_mapping(w, depth, matched, line, flow);
    default:
      return fail_mark(w, "EYAML", ev->start_mark, "unexpected YAML event %d", (int)ev->type);
  }
}

/* Walk the whole stream: exactly one document. Pushes the root's value. */
static int walk_stream(walk *w) {
  yaml_event_t *ev = &w->st->event;
  if (!next_event(w))               /* STREAM-START */
    return 0;
  if (!next_event(w))
    return 0;
  if (ev->type == YAML_STREAM_END_EVENT)
    return fail_mark(w, "EYAML", ev->start_mark, "no YAML document");
  if (!next_event(w))               /* past DOCUMENT-START */
    return 0;
  if (!walk_node(w, 0, w->nseg >= 0 ? 0 : -1, ev->start_mark.line + 1, 0))
    return 0;
  if (!next_event(w))               /* DOCUMENT-END */
    return 0;
  if (!next_event(w))
    return 0;
  if (ev->type == YAML_DOCUMENT_START_EVENT)
    return fail_mark(w, "EYAML", ev->start_mark,
                     "a second YAML document; expected one document per file");
  return 1;
}

/* Run a walk over text with a fresh state (pushed at the top). */
static int walk_text(walk *w) {
  w->st = state_new(w->L);
  if (wide_bom(w->text, w->len))
    return fail_at(w, "EYAML", 1, 1, "UTF-16 text is not supported; save the file as UTF-8");
  if (!state_open(w->st, w->text, w->len))
    return fail_at(w, "ENOMEM", 1, 1, "out of memory starting the YAML parser");
  int ok = walk_stream(w);
  state_release(w->st);
  return ok;
}

/*
** The mark where the scalar token ending at character `end_ch` starts: a
** second pass with the token scanner, for scalars with a tag or an anchor
** (the event's start mark is the start of those properties).
*/
static int token_start(walk *w, size_t end_ch, yaml_mark_t *out) {
  yaml_state *s = w->st;
  int found = 0;
  if (!state_open(s, w->text, w->len))
    return 0;
  for (;;) {
    if (!yaml_parser_scan(&s->parser, &s->token))
      break;
    s->token_live = 1;
    yaml_token_type_t type = s->token.type;
    if (type == YAML_SCALAR_TOKEN && s->token.end_mark.index == end_ch) {
      *out = s->token.start_mark;
      found = 1;
    }
    yaml_token_delete(&s->token);
    s->token_live = 0;
    if (found || type == YAML_STREAM_END_TOKEN)
      break;
  }
  state_release(s);
  return found;
}

/* What set_scalar needs to know of a located scalar. */
typedef struct located {
  size_t start, stop;   /* 0-based byte offsets, stop exclusive */
  size_t line, col;     /* 1-based, of start */
  int style, flow;
} located;

static const char *style_name(int style) {
  switch (style) {
    case YAML_SINGLE_QUOTED_SCALAR_STYLE: return "single";
    case YAML_DOUBLE_QUOTED_SCALAR_STYLE: return "double";
    case YAML_LITERAL_SCALAR_STYLE: return "literal";
    case YAML_FOLDED_SCALAR_STYLE: return "folded";
    default: return "plain";
  }
}

/*
** Find the scalar at path in text. Pushes the loc table and returns 1, or
** pushes nil, msg, code and returns 3. Fills *out on success.
*/
static int locate_text(lua_State *L, const char *text, size_t len, const char *name,
                       const seg *path, int nseg, located *out) {
  int base = lua_gettop(L);
  walk w;
  memset(&w, 0, sizeof w);
  w.L = L, w.text = text, w.len = len, w.name = name;
  w.path = path, w.nseg = nseg;
  /* stack: anchors, result, state userdata, root value (from walk_text) */
  lua_newtable(L);
  w.anchors = lua_gettop(L);
  lua_newtable(L);
  w.result = lua_gettop(L);
  int ok = walk_text(&w);
  if (ok && !w.soft_code && !w.found)  /* cannot happen: every path ends somewhere */
    soft_fail(&w, "ENOPATH", "%s: path not found", name);
  if (!ok || w.soft_code) {
    lua_settop(L, base);
    if (!ok)
      return dbh_pushfail(L, w.hard_code, "%s", w.hard);
    return dbh_pushfail(L, w.soft_code, "%s", w.soft);
  }
  /* Where the scalar itself starts: the event's start mark covers its tag
  ** and anchor too, so those need the token pass. */
  yaml_mark_t at = w.start;
  size_t end_ch = w.end.index;
  lua_getfield(L, w.result, "value");
  /* plain scalar tokens are never empty: an empty one has no token */
  int empty_plain = w.style == YAML_PLAIN_SCALAR_STYLE && lua_rawlen(L, -1) == 0;
  lua_pop(L, 1);
  if (empty_plain) {
    at = w.end;                        /* where a value would go */
  } else if (w.has_props && !token_start(&w, end_ch, &at)) {
    lua_settop(L, base);
    return dbh_pushfail(L, "EYAML", "%s: lost the scalar's start (libyaml token scan)", name);
  }
  /* marks count characters; the API speaks bytes */
  out->start = byte_offset(text, len, at.index);
  out->stop = byte_offset(text, len, end_ch);
  out->line = at.line + 1;
  out->col = at.column + 1;
  out->style = w.style;
  out->flow = w.flow;
  lua_pushinteger(L, (lua_Integer)out->start + 1);
  lua_setfield(L, w.result, "start");
  lua_pushinteger(L, (lua_Integer)out->stop);
  lua_setfield(L, w.result, "stop");
  lua_pushinteger(L, (lua_Integer)at.line + 1);
  lua_setfield(L, w.result, "line");
  lua_pushinteger(L, (lua_Integer)at.column + 1);
  lua_setfield(L, w.result, "col");
  lua_pushstring(L, style_name(w.style));
  lua_setfield(L, w.result, "style");
  lua_pushboolean(L, w.flow);
  lua_setfield(L, w.result, "flow");
  lua_pushvalue(L, w.result);
  lua_replace(L, base + 1);
  lua_settop(L, base + 1);
  return 1;
}

/* ---- paths -------------------------------------------------------------- */

/*
** Read the path argument (string "A.B" or array of strings/integers) into
** an array of segments held by a userdata pushed on the stack, with a table
** keeping converted numbers alive pushed under it. Raises on misuse; call
** before any libyaml state exists.
*/
static const seg *check_path(lua_State *L, int arg, int *nseg) {
  if (lua_type(L, arg) == LUA_TTABLE) {
    lua_Integer n = luaL_len(L, arg);
    luaL_argcheck(L, n >= 0 && n < 100000, arg, "path too long");
    lua_newtable(L);   /* keeps number segments' strings alive */
    int keep = lua_gettop(L);
    seg *segs = lua_newuserdatauv(L, sizeof(seg) * (size_t)(n ? n : 1), 0);
    for (lua_Integer i = 1; i <= n; i++) {
      int t = lua_geti(L, arg, i);
      if (t != LUA_TSTRING && !(t == LUA_TNUMBER && lua_isinteger(L, -1)))
        luaL_argerror(L, arg, "path segments must be strings or integers");
      segs[i - 1].s = lua_tolstring(L, -1, &segs[i - 1].len);
      lua_rawseti(L, keep, i);
    }
    *nseg = (int)n;
    return segs;
  }
  size_t len;
  const char *p = luaL_checklstring(L, arg, &len);
  int n = len ? 1 : 0;
  for (size_t i = 0; i < len; i++)
    n += p[i] == '.';
  luaL_argcheck(L, n < 100000, arg, "path too long");
  lua_newtable(L);   /* same stack shape as the table case */
  seg *segs = lua_newuserdatauv(L, sizeof(seg) * (size_t)(n ? n : 1), 0);
  const char *s = p;
  for (int i = 0; i < n; i++) {
    const char *dot = memchr(s, '.', len - (size_t)(s - p));
    size_t l = dot ? (size_t)(dot - s) : len - (size_t)(s - p);
    if (l == 0)
      luaL_argerror(L, arg, "empty path segment (use a table path for keys with dots)");
    segs[i].s = s, segs[i].len = l;
    s += l + 1;
  }
  *nseg = n;
  return segs;
}

/* ---- rendering a new value -------------------------------------------- */

/*
** Could a YAML 1.1 or 1.2 reader resolve plain v to something other than a
** string (null, boolean, integer, float, timestamp, merge key)? Errs on the
** side of "yes": a hex digest such as "9f86d0..." is a string, "12e45",
** "0x1F", "1_000" or "2024-01-02" are not.
*/
static int looks_typed(const char *v, size_t n) {
  static const char *const words[] = {
    "true", "false", "yes", "no", "on", "off", "y", "n", "null", "~", "=", "<<",
    ".inf", "+.inf", "-.inf", ".nan", NULL
  };
  for (int i = 0; words[i]; i++)
    if (strlen(words[i]) == n && strncasecmp(words[i], v, n) == 0)
      return 1;
  size_t i = (v[0] == '+' || v[0] == '-') ? 1 : 0;
  if (i >= n || !((v[i] >= '0' && v[i] <= '9') || v[i] == '.'))
    return 0;
  if (n - i > 2 && v[i] == '0' && (v[i + 1] == 'x' || v[i + 1] == 'X')) {
    for (size_t j = i + 2; j < n; j++)
      if (!strchr("0123456789abcdefABCDEF_", v[j]) || v[j] == '\0')
        return 0;
    return 1;
  }
  for (size_t j = 0; j < n; j++)
    if (!strchr("0123456789._:+-eEoObBtTzZ ", v[j]) || v[j] == '\0')
      return 0;
  return 1;
}

/* Would v read back as the same string when written as a plain scalar? */
static int plain_safe(const char *v, size_t n, int flow) {
  if (n == 0 || v[0] == '\0' || strchr("-?:,[]{}#&*!|>'\"%@` \t", v[0]))
    return 0;
  if (looks_typed(v, n))
    return 0;
  if (v[n - 1] == ' ' || v[n - 1] == ':')
    return 0;
  for (size_t i = 0; i < n;) {
    unsigned long cp;
    size_t k = utf8_decode((const unsigned char *)v + i, n - i, &cp);
    if (k == 0 || !inline_printable(cp) || cp == '\t')
      return 0;
    if (cp == ':' && (flow || (i + 1 < n && v[i + 1] == ' ')))
      return 0;
    if (cp == '#' && i > 0 && v[i - 1] == ' ')
      return 0;
    if (flow && cp < 0x80 && strchr(",[]{}", (int)cp))
      return 0;
    i += k;
  }
  return 1;
}

/* Can v be single-quoted on one line? */
static int single_safe(const char *v, size_t n) {
  for (size_t i = 0; i < n;) {
    unsigned long cp;
    size_t k = utf8_decode((const unsigned char *)v + i, n - i, &cp);
    if (k == 0 || !inline_printable(cp))
      return 0;
    i += k;
  }
  return 1;
}

static void add_single(luaL_Buffer *b, const char *v, size_t n) {
  luaL_addchar(b, '\'');
  for (size_t i = 0; i < n; i++) {
    if (v[i] == '\'')
      luaL_addchar(b, '\'');
    luaL_addchar(b, v[i]);
  }
  luaL_addchar(b, '\'');
}

/* v double-quoted, with YAML escapes for everything not printable. */
static void add_double(luaL_Buffer *b, const char *v, size_t n) {
  char esc[16];
  luaL_addchar(b, '"');
  for (size_t i = 0; i < n;) {
    unsigned long cp;
    size_t k = utf8_decode((const unsigned char *)v + i, n - i, &cp);
    const char *e = NULL;
    switch (cp) {
      case '"': e = "\\\""; break;
      case '\\': e = "\\\\"; break;
      case 0x00: e = "\\0"; break;
      case 0x07: e = "\\a"; break;
      case 0x08: e = "\\b"; break;
      case 0x09: e = "\\t"; break;
      case 0x0A: e = "\\n"; break;
      case 0x0B: e = "\\v"; break;
      case 0x0C: e = "\\f"; break;
      case 0x0D: e = "\\r"; break;
      case 0x1B: e = "\\e"; break;
      case 0x85: e = "\\N"; break;
      case 0x2028: e = "\\L"; break;
      case 0x2029: e = "\\P"; break;
      default:
        if (!inline_printable(cp)) {
          snprintf(esc, sizeof esc, cp > 0xFFFF ? "\\U%08lX" : "\\u%04lX", cp);
          e = esc;
        }
    }
    if (e)
      luaL_addstring(b, e);
    else
      luaL_addlstring(b, v + i, k);
    i += k;   /* k > 0: the value was checked to be valid UTF-8 */
  }
  luaL_addchar(b, '"');
}

/*
** Append the scalar that replaces loc's span: in the span's own style when
** that style can hold value, else double-quoted (which holds anything).
*/
static void add_scalar(luaL_Buffer *b, const char *text, const located *loc,
                       const char *value, size_t vlen) {
  if (loc->style == YAML_PLAIN_SCALAR_STYLE && loc->start == loc->stop && loc->start > 0 &&
      text[loc->start - 1] != ' ' && text[loc->start - 1] != '\t')
    luaL_addchar(b, ' ');              /* `key:` -> `key: value` */
  if (loc->style == YAML_PLAIN_SCALAR_STYLE && plain_safe(value, vlen, loc->flow))
    luaL_addlstring(b, value, vlen);
  else if (loc->style == YAML_SINGLE_QUOTED_SCALAR_STYLE && single_safe(value, vlen))
    add_single(b, value, vlen);
  else
    add_double(b, value, vlen);
}

/* ---- the Lua functions ----------------------------------------------- */

/* yaml.load(text [, filename]) -> value | nil, msg, code */
static int yaml_load(lua_State *L) {
  size_t len;
  const char *text = luaL_checklstring(L, 1, &len);
  const char *name = luaL_optstring(L, 2, DEFAULT_NAME);
  lua_settop(L, 2);
  walk w;
  memset(&w, 0, sizeof w);
  w.L = L, w.text = text, w.len = len, w.name = name, w.nseg = -1;
  lua_newtable(L);
  w.anchors = lua_gettop(L);
  if (!walk_text(&w)) {
    lua_settop(L, 2);
    return dbh_pushfail(L, w.hard_code, "%s", w.hard);
  }
  return 1;   /* the root value, on top */
}

/* yaml.locate(text, path [, filename]) -> loc | nil, msg, code */
static int yaml_locate(lua_State *L) {
  size_t len;
  int nseg;
  located loc;
  const char *text = luaL_checklstring(L, 1, &len);
  const char *name = luaL_optstring(L, 3, DEFAULT_NAME);
  lua_settop(L, 3);
  const seg *path = check_path(L, 2, &nseg);
  return locate_text(L, text, len, name, path, nseg, &loc);
}

/* yaml.set_scalar(text, path, value [, filename]) -> newtext | nil, msg, code */
static int yaml_set_scalar(lua_State *L) {
  size_t len, vlen;
  int nseg;
  located loc;
  const char *text = luaL_checklstring(L, 1, &len);
  const char *value = luaL_checklstring(L, 3, &vlen);
  const char *name = luaL_optstring(L, 4, DEFAULT_NAME);
  luaL_argcheck(L, utf8_valid(value, vlen), 3, "not valid UTF-8");
  lua_settop(L, 4);
  const seg *path = check_path(L, 2, &nseg);
  if (locate_text(L, text, len, name, path, nseg, &loc) != 1)
    return 3;
  int old = lua_gettop(L);
  lua_getfield(L, old, "value");
  if (lua_rawequal(L, -1, 3)) {        /* already that value: change nothing */
    lua_pushvalue(L, 1);
    return 1;
  }
  char buf[MSG_SIZE / 2];
  if (loc.style == YAML_LITERAL_SCALAR_STYLE || loc.style == YAML_FOLDED_SCALAR_STYLE) {
    /* rewriting a block would mean re-indenting lines and keeping its
    ** trailing blank lines and chomping: refused, the message says why */
    char where[64];
    snprintf(where, sizeof where, "%zu:%zu", loc.line, loc.col);
    return dbh_pushfail(L, "ESTYLE",
                        "%s:%s: %s is a %s block scalar; only plain and quoted "
                        "scalars are rewritten in place",
                        name, where, path_text(path, nseg, buf, sizeof buf),
                        loc.style == YAML_LITERAL_SCALAR_STYLE ? "literal (|)" : "folded (>)");
  }
  /* prefix, the new scalar, suffix: no libyaml state exists any more, so
  ** the Lua buffer may raise (memory) freely */
  luaL_Buffer b;
  luaL_buffinit(L, &b);
  luaL_addlstring(&b, text, loc.start);
  add_scalar(&b, text, &loc, value, vlen);
  luaL_addlstring(&b, text + loc.stop, len - loc.stop);
  luaL_pushresult(&b);
  int out = lua_gettop(L);
  /* read the edit back: it must parse and hold the new value */
  size_t nlen;
  const char *ntext = lua_tolstring(L, out, &nlen);
  located again;
  int n = locate_text(L, ntext, nlen, name, path, nseg, &again);
  if (n == 1) {
    lua_getfield(L, -1, "value");
    if (lua_rawequal(L, -1, 3)) {
      lua_pushvalue(L, out);
      return 1;
    }
  }
  /* e.g. the value of a flow mapping entry written without one, `{a}` */
  return dbh_pushfail(L, "ESTYLE", "%s: cannot rewrite %s in place: the edited text "
                      "would not read back as the new value%s%s", name,
                      path_text(path, nseg, buf, sizeof buf), n == 3 ? ": " : "",
                      n == 3 ? lua_tostring(L, -2) : "");
}

int luaopen_dbhost_yaml(lua_State *L);
int luaopen_dbhost_yaml(lua_State *L) {
  static const luaL_Reg funcs[] = {
    {"load", yaml_load},
    {"locate", yaml_locate},
    {"set_scalar", yaml_set_scalar},
    {NULL, NULL},
  };
  dbh_newclass(L, YAML_STATE_CLASS, (const luaL_Reg[]){{NULL, NULL}}, state_gc);
  lua_pop(L, 1);
  luaL_newlib(L, funcs);
  return 1;
}
