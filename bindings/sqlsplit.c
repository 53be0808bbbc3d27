/*
** sqlsplit.c: PostgreSQL statement splitting with Atlas's semantics.
**
** The model is Atlas's scanner (sql/migrate/lex.go) with the options its
** PostgreSQL driver sets (MatchBegin, MatchBeginAtomic, MatchDollarQuote,
** EscapedStringExt). Statement texts must be byte-identical to Atlas's,
** because the running hashes over them are stored in the revisions table.
**
** Rules, in the order Atlas checks them at each rune outside quotes:
**  1. "(" / ")" track a depth; ")" at depth 0 and EOF at depth > 0 fail.
**  2. '...', "..." and `...` are skipped to the same quote ('' and "" work
**     by closing and reopening). E'...' (an E or e that does not end an
**     identifier) honours backslash escapes, as PostgreSQL does.
**  3. A line starting with "delimiter " at a statement start is MySQL's
**     DELIMITER command (Atlas honours it for every dialect).
**  4. The delimiter at depth 0 ends the statement and stays in its text when
**     it is ";" (stripped otherwise). It is checked before comments.
**  5. $tag$ ... $tag$ dollar quotes ($1 is a parameter, not a tag).
**  6. "--" and "/" "*" comments; at a statement start they are detached into
**     the statement's comment group, which a following blank line discards.
**  7. BEGIN ATOMIC ... END and BEGIN ... END blocks (default delimiter only):
**     the scanner scans statements after BEGIN until one that starts with
**     END (ATOMIC) or is exactly END / END; (plain BEGIN, which must start
**     the statement or follow whitespace). If none does, nothing happens.
**  8. Statement text: TrimSpace (Go's unicode.IsSpace), delimiter rules
**     above. An empty statement ";" is a statement, as in Atlas.
**
** Where we follow PostgreSQL instead of Atlas (Atlas's results there are
** either errors or statements PostgreSQL rejects, or Atlas hangs):
**  - block comments nest; an unclosed one is an error (Atlas: statement text);
**  - E'it\'s' (Atlas checks the quote itself, not the byte before it);
**  - dollar tags: any byte >= 0x80 is a tag letter, and "$" continuing an
**    identifier (a$b$) does not open a quote; an unclosed one is an error
**    (Atlas silently runs to EOF);
**  - a "--" comment that reaches EOF without "\n" is comment text to EOF
**    (Atlas rescans it as SQL). Like Atlas, it still becomes statement
**    text, so a trailing "-- x" is a statement of its own;
**  - BEGIN block sub-scans ignore DELIMITER commands and atlas:delimiter
**    lines inside the block.
**
** Complexity. Atlas re-scans the rest of the file for every BEGIN it meets,
** recursively: exponential in the number of "BEGIN TRANSACTION;" lines. We
** memoise "statement scanned from p" and "block body walked from statement
** start p" (the answer is the same from every start a walk passes, so each
** start is walked once per block kind), run the nesting on an explicit
** stack (no C recursion), and finish a statement whose block failed at
** depth 0 with the memoised statement after BEGIN. A work budget (8 units
** per input byte) bounds what is left: failed blocks opened inside
** parentheses, where the enclosing statement re-reads what the block's
** sub-scan read. Past it, unresolved blocks count as not matched
** (sqlsplit_result.exhausted); real SQL never gets there, since a "("
** closes before the next ";". Custom delimiters are matched with a lazily
** fed KMP automaton, so long delimiters stay linear too.
*/
#include "sqlsplit.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NPOS ((size_t)-1)

/* ------------------------------------------------------------------ */
/* Characters                                                          */
/* ------------------------------------------------------------------ */

/* Go regexp's \s: [\t\n\f\r ] (no \v). */
static int is_re_space(unsigned char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\f' || c == '\r';
}

/* Bytes that continue a PostgreSQL identifier (or number). */
static int is_ident_char(unsigned char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
         (c >= '0' && c <= '9') || c == '_' || c == '$' || c >= 0x80;
}

/* PostgreSQL's dolq_start; dolq_cont adds the digits. */
static int is_dolq_start(unsigned char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
         c >= 0x80;
}

/* Go regexp's \w. */
static int is_word(unsigned char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
         (c >= '0' && c <= '9') || c == '_';
}

/* ASCII tolower, locale-free. */
static int lower(unsigned char c) {
  return (c >= 'A' && c <= 'Z') ? c + 32 : c;
}

/* Case-insensitive ASCII prefix test of s[i..] against word. */
static int has_word_ci(const unsigned char *s, size_t n, size_t i,
                       const char *word) {
  size_t k = strlen(word);
  if (n - i < k)
    return 0;
  for (size_t j = 0; j < k; j++)
    if (lower(s[i + j]) != (unsigned char)word[j])
      return 0;
  return 1;
}

/* Width of the rune at i as Go's utf8.DecodeRune sees it (1 if invalid). */
static size_t rune_width(const unsigned char *s, size_t n, size_t i) {
  unsigned char c = s[i];
  if (c < 0xC2 || c > 0xF4)
    return 1;
  size_t need = c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;
  if (n - i < need)
    return 1;
  unsigned char lo = 0x80, hi = 0xBF;
  if (c == 0xE0)
    lo = 0xA0;
  else if (c == 0xED)
    hi = 0x9F;
  else if (c == 0xF0)
    lo = 0x90;
  else if (c == 0xF4)
    hi = 0x8F;
  if (s[i + 1] < lo || s[i + 1] > hi)
    return 1;
  for (size_t k = 2; k < need; k++)
    if (s[i + k] < 0x80 || s[i + k] > 0xBF)
      return 1;
  return need;
}

/* Width of a unicode.IsSpace rune starting at i, 0 if there is none. */
static size_t space_width(const unsigned char *s, size_t n, size_t i) {
  unsigned char c = s[i];
  if (c == ' ' || (c >= '\t' && c <= '\r'))
    return 1;
  if (c == 0xC2 && n - i >= 2 && (s[i + 1] == 0x85 || s[i + 1] == 0xA0))
    return 2;
  if (n - i >= 3) {
    unsigned char b1 = s[i + 1], b2 = s[i + 2];
    if ((c == 0xE1 && b1 == 0x9A && b2 == 0x80) ||        /* U+1680 */
        (c == 0xE2 && b1 == 0x80 &&
         ((b2 >= 0x80 && b2 <= 0x8A) ||                   /* U+2000..200A */
          b2 == 0xA8 || b2 == 0xA9 || b2 == 0xAF)) ||     /* 2028 2029 202F */
        (c == 0xE2 && b1 == 0x81 && b2 == 0x9F) ||        /* U+205F */
        (c == 0xE3 && b1 == 0x80 && b2 == 0x80))          /* U+3000 */
      return 3;
  }
  return 0;
}

/* Width of a space rune ending at e (Go's DecodeLastRune), not before lo. */
static size_t space_width_back(const unsigned char *s, size_t lo, size_t e) {
  unsigned char c = s[e - 1];
  if (c == ' ' || (c >= '\t' && c <= '\r'))
    return 1;
  if (e - lo >= 2 && s[e - 2] == 0xC2 && (c == 0x85 || c == 0xA0))
    return 2;
  if (e - lo >= 3 && space_width(s, e, e - 3) == 3)
    return 3;
  return 0;
}

/* Go's strings.TrimLeftFunc(unicode.IsSpace), as an offset. */
static size_t skip_spaces(const unsigned char *s, size_t n, size_t i) {
  size_t w;
  while (i < n && (w = space_width(s, n, i)) != 0)
    i += w;
  return i;
}

/* Go's strings.TrimRightFunc(unicode.IsSpace) on [lo, e): the new end. */
static size_t trim_back(const unsigned char *s, size_t lo, size_t e) {
  size_t w;
  while (e > lo && (w = space_width_back(s, lo, e)) != 0)
    e -= w;
  return e;
}

/* Public: Go's strings.TrimSpace on a range. */
void sqlsplit_trim(const char *src, size_t *off, size_t *len) {
  const unsigned char *s = (const unsigned char *)src;
  size_t e = *off + *len;
  size_t b = skip_spaces(s, e, *off);
  e = trim_back(s, b, e);
  *off = b;
  *len = e - b;
}

/* ------------------------------------------------------------------ */
/* Tokens that do not depend on the scanner's state                    */
/* ------------------------------------------------------------------ */

/* s[i] is a quote: the offset after the closing quote, or NPOS. */
static size_t skip_quote(const unsigned char *s, size_t n, size_t i) {
  unsigned char q = s[i];
  int esc = q == '\'' && i > 0 && (s[i - 1] == 'E' || s[i - 1] == 'e') &&
            (i < 2 || !is_ident_char(s[i - 2]));
  size_t j = i + 1;
  if (!esc) {
    const unsigned char *p = memchr(s + j, q, n - j);
    return p ? (size_t)(p - s) + 1 : NPOS;
  }
  while (j < n) {
    if (s[j] == '\\')
      j += 2;
    else if (s[j] == q)
      return j + 1;
    else
      j++;
  }
  return NPOS;
}

/* s[i] == '$': length of the $tag$ opening there, 0 if it is no tag. */
static size_t dollar_tag_len(const unsigned char *s, size_t n, size_t i) {
  if (i > 0 && is_ident_char(s[i - 1]))
    return 0;  /* a$b$ is an identifier */
  size_t j = i + 1;
  if (j < n && is_dolq_start(s[j])) {
    j++;
    while (j < n && (is_dolq_start(s[j]) || (s[j] >= '0' && s[j] <= '9')))
      j++;
  }
  if (j < n && s[j] == '$')
    return j - i + 1;
  return 0;
}

/* Find needle in hay (both non-empty); NULL if absent. */
static const unsigned char *find_bytes(const unsigned char *hay, size_t hn,
                                       const unsigned char *nd, size_t nn) {
  while (hn >= nn) {
    const unsigned char *p = memchr(hay, nd[0], hn - nn + 1);
    if (!p)
      return NULL;
    if (memcmp(p, nd, nn) == 0)
      return p;
    hn -= (size_t)(p - hay) + 1;
    hay = p + 1;
  }
  return NULL;
}

/* A dollar quote of tag length t opens at i: offset after its close, or NPOS. */
static size_t skip_dollar(const unsigned char *s, size_t n, size_t i,
                          size_t t) {
  const unsigned char *p = find_bytes(s + i + t, n - i - t, s + i, t);
  return p ? (size_t)(p - s) + t : NPOS;
}

/* "/" "*" at i: offset after the matching close (comments nest), or NPOS. */
static size_t skip_block_comment(const unsigned char *s, size_t n, size_t i) {
  size_t depth = 1, j = i + 2;
  while (j + 1 < n) {
    if (s[j] == '*' && s[j + 1] == '/') {
      j += 2;
      if (--depth == 0)
        return j;
    } else if (s[j] == '/' && s[j + 1] == '*') {
      j += 2;
      depth++;
    } else {
      j++;
    }
  }
  return NPOS;
}

/* (?i)^BEGIN\s+ATOMIC\s+ at i: offset after it, or NPOS. */
static size_t match_begin_atomic(const unsigned char *s, size_t n, size_t i) {
  if (!has_word_ci(s, n, i, "begin"))
    return NPOS;
  size_t j = i + 5, k = j;
  while (k < n && is_re_space(s[k]))
    k++;
  if (k == j || !has_word_ci(s, n, k, "atomic"))
    return NPOS;
  j = k + 6;
  k = j;
  while (k < n && is_re_space(s[k]))
    k++;
  return k == j ? NPOS : k;
}

/* (?i)^BEGIN\s+ at i: offset after it, or NPOS. */
static size_t match_begin(const unsigned char *s, size_t n, size_t i) {
  if (!has_word_ci(s, n, i, "begin"))
    return NPOS;
  size_t j = i + 5, k = j;
  while (k < n && is_re_space(s[k]))
    k++;
  return k == j ? NPOS : k;
}

/* ------------------------------------------------------------------ */
/* Scanner state                                                       */
/* ------------------------------------------------------------------ */

/* How a statement scan ended. */
enum { K_DELIM = 1, K_EOF, K_BLOCK, K_EMPTY, K_ERR };
/* Syntax errors. */
enum { E_NONE, E_QUOTE, E_DOLLAR, E_COMMENT, E_RPAREN, E_LPAREN, E_DELIM };
/* Which END a block body waits for. */
enum { BLK_ATOMIC = 1, BLK_BEGIN = 2 };
/* run_stmt outcomes. */
enum { R_DONE, R_NEED, R_ABORT, R_NOMEM };

/* A statement scan result (also a block result: K_BLOCK ok, K_ERR failed). */
typedef struct sres {
  unsigned char kind, ecode, endflags;
  size_t text_start, end, epos;
} sres;

/* A frame of the explicit stack: a statement scan or a block-body chain. */
typedef struct frame {
  unsigned char chain;   /* 1: block-body chain, 0: statement */
  unsigned char blk;     /* chain: BLK_*; statement: kind of pending block */
  size_t start;          /* memo key position */
  size_t pos, text_start, depth, open_pos, wait_y;
  size_t vis0;           /* chain: its first entry in scanner.vis */
} frame;

typedef struct memo_ent {
  size_t key;  /* 0: empty */
  sres r;
} memo_ent;

/* All state of one sqlsplit_split call; nothing is global. */
typedef struct scanner {
  const unsigned char *s;  /* the whole input */
  size_t n;
  /* top-level delimiter; sub-scans always use ";" */
  unsigned char *delim;
  size_t dlen;
  int is_default;
  size_t *kmp;           /* failure function when dlen >= 2 */
  size_t kmp_at, kmp_q;  /* bytes fed so far, automaton state */
  /* memo: open addressing, keys (pos << 2 | tag) + 1 */
  memo_ent *memo;
  size_t memo_cap, memo_used;
  frame *stk;
  size_t nstk, capstk;
  size_t *vis;           /* statement starts the open chains walked */
  size_t nvis, capvis;
  size_t work, limit;    /* sub-scan work so far, and its bound */
  int exhausted;         /* the bound was hit: blocks no longer resolve */
  sqlsplit_result *res;  /* top-level output */
  size_t group0;         /* first comment of the current group */
} scanner;

/* Memo keys: the statement scanned from p, or the block body of kind b
** (chain) walked from statement start p. 0 marks an empty slot. */
#define KEY_STMT(p) ((((size_t)(p)) << 2) + 1)
#define KEY_CHAIN(b, p) ((((size_t)(p)) << 2) + 1 + (size_t)(b))

/* Fibonacci hashing into the power-of-two table. */
static size_t memo_slot(const scanner *sc, size_t key) {
  uint64_t h = (uint64_t)key * 0x9E3779B97F4A7C15ull;
  return (size_t)(h ^ (h >> 29)) & (sc->memo_cap - 1);
}

/* The memoised result for key, or NULL. The pointer dies at the next put. */
static const sres *memo_get(const scanner *sc, size_t key) {
  if (!sc->memo)
    return NULL;
  for (size_t i = memo_slot(sc, key);; i = (i + 1) & (sc->memo_cap - 1)) {
    if (sc->memo[i].key == key)
      return &sc->memo[i].r;
    if (sc->memo[i].key == 0)
      return NULL;
  }
}

/* Store r under key, growing the table at half load. 0 or -1 (ENOMEM). */
static int memo_put(scanner *sc, size_t key, const sres *r) {
  if ((sc->memo_used + 1) * 2 > sc->memo_cap) {
    size_t ncap = sc->memo_cap ? sc->memo_cap * 2 : 256;
    memo_ent *old = sc->memo, *ne = calloc(ncap, sizeof *ne);
    size_t ocap = sc->memo_cap;
    if (!ne)
      return -1;
    sc->memo = ne;
    sc->memo_cap = ncap;
    for (size_t i = 0; i < ocap; i++)
      if (old[i].key) {
        size_t j = memo_slot(sc, old[i].key);
        while (ne[j].key)
          j = (j + 1) & (ncap - 1);
        ne[j] = old[i];
      }
    free(old);
  }
  size_t i = memo_slot(sc, key);
  while (sc->memo[i].key && sc->memo[i].key != key)
    i = (i + 1) & (sc->memo_cap - 1);
  if (!sc->memo[i].key)
    sc->memo_used++;
  sc->memo[i].key = key;
  sc->memo[i].r = *r;
  return 0;
}

/* A zeroed frame on top of the explicit stack (may move older frames). */
static frame *push_frame(scanner *sc) {
  if (sc->nstk == sc->capstk) {
    size_t ncap = sc->capstk ? sc->capstk * 2 : 64;
    frame *p = realloc(sc->stk, ncap * sizeof *p);
    if (!p)
      return NULL;
    sc->stk = p;
    sc->capstk = ncap;
  }
  frame *f = &sc->stk[sc->nstk++];
  memset(f, 0, sizeof *f);
  return f;
}

/* Install the top-level delimiter d (copied); feeding restarts at `at`. */
static int set_delim(scanner *sc, const unsigned char *d, size_t len,
                     size_t at) {
  unsigned char *copy = malloc(len ? len : 1);
  size_t *kmp = NULL;
  if (!copy)
    return -1;
  memcpy(copy, d, len);
  if (len >= 2) {
    kmp = malloc((len + 1) * sizeof *kmp);
    if (!kmp) {
      free(copy);
      return -1;
    }
    kmp[0] = kmp[1] = 0;
    size_t k = 0;
    for (size_t q = 1; q < len; q++) {
      while (k > 0 && copy[q] != copy[k])
        k = kmp[k];
      if (copy[q] == copy[k])
        k++;
      kmp[q + 1] = k;
    }
  }
  free(sc->delim);
  free(sc->kmp);
  sc->delim = copy;
  sc->dlen = len;
  sc->kmp = kmp;
  sc->kmp_at = at;
  sc->kmp_q = 0;
  sc->is_default = len == 1 && copy[0] == ';';
  return 0;
}

/*
** Does the top-level delimiter start at i? Positions asked about only grow,
** so a KMP automaton fed lazily answers in amortised O(1): a match starts
** at i exactly when the automaton is in its final state after byte i+m-1.
*/
static int delim_at(scanner *sc, size_t i) {
  size_t m = sc->dlen;
  if (m == 1)
    return sc->s[i] == sc->delim[0];
  if (sc->n - i < m)
    return 0;
  size_t target = i + m;
  if (sc->kmp_at > target)  /* cannot happen; stay correct anyway */
    return memcmp(sc->s + i, sc->delim, m) == 0;
  int hit = 0;
  size_t q = sc->kmp_q;
  while (sc->kmp_at < target) {
    unsigned char c = sc->s[sc->kmp_at++];
    while (q > 0 && sc->delim[q] != c)
      q = sc->kmp[q];
    if (sc->delim[q] == c)
      q++;
    if (q == m) {
      hit = sc->kmp_at == target;
      q = sc->kmp[q];
    }
  }
  sc->kmp_q = q;
  return hit;
}

/* END flags of a sub-scan statement text [ts, e). */
static unsigned char end_flags(const scanner *sc, size_t ts, size_t e) {
  const unsigned char *s = sc->s;
  e = trim_back(s, ts, e);
  if (e - ts < 3 || !has_word_ci(s, e, ts, "end"))
    return 0;
  size_t k = ts + 3;
  while (k < e && is_re_space(s[k]))
    k++;
  unsigned char f = BLK_ATOMIC;  /* ^\s*END\s* */
  if (k == e || (k + 1 == e && s[k] == ';'))
    f |= BLK_BEGIN;  /* exactly END, or END; */
  return f;
}

/* Make out a syntax error (or, with E_NONE, a failed block). */
static void set_err(sres *out, unsigned char code, size_t pos) {
  out->kind = K_ERR;
  out->ecode = code;
  out->epos = pos;
}

/*
** A BEGIN block failed; the statement goes on scanning after "BEGIN\s+".
** At depth 0 that scan is exactly the memoised statement starting there
** (same tokens, same depth-0 delimiter), unless that statement began with
** a BEGIN only its statement-start position made special. Returns 1 with
** *out filled when the shortcut applies, 0 when the caller must scan.
*/
static int continue_after_block(scanner *sc, frame *f, sres *out) {
  size_t y = f->wait_y;
  f->pos = y;
  if (f->depth != 0)
    return 0;
  const sres *m = memo_get(sc, KEY_STMT(skip_spaces(sc->s, sc->n, y)));
  if (!m)
    return 0;
  size_t ts = m->text_start;
  if (m->kind != K_ERR && ts < sc->n && ts > y && !is_re_space(sc->s[ts - 1]) &&
      match_begin_atomic(sc->s, sc->n, ts) == NPOS &&
      match_begin(sc->s, sc->n, ts) != NPOS)
    return 0;
  *out = *m;
  out->text_start = f->text_start;
  if (m->kind == K_EMPTY) {  /* only spaces and comments followed */
    out->kind = K_EOF;
    out->end = sc->n;
  }
  return 1;
}

/* Append a detached comment to the top-level result. 0 or -1 (ENOMEM). */
static int record_comment(scanner *sc, size_t off, size_t len) {
  sqlsplit_result *r = sc->res;
  if (r->ncomments == r->capcomments) {
    size_t ncap = r->capcomments ? r->capcomments * 2 : 16;
    sqlsplit_span *p = realloc(r->comments, ncap * sizeof *p);
    if (!p)
      return -1;
    r->comments = p;
    r->capcomments = ncap;
  }
  r->comments[r->ncomments].off = off;
  r->comments[r->ncomments].len = len;
  r->ncomments++;
  return 0;
}

/* A new statement (or comment group) begins at i. */
static void begin_at(scanner *sc, frame *f, size_t i) {
  f->pos = f->text_start = skip_spaces(sc->s, sc->n, i);
}

/*
** The top-level DELIMITER command at i ("delimiter" + space checked):
** reads the rest of the line as the new delimiter. Returns 0, or an
** R_* code / -1 for an empty delimiter.
*/
static int delimiter_command(scanner *sc, frame *f, size_t i) {
  const unsigned char *s = sc->s;
  size_t b = i + 9, e;
  const unsigned char *nl = memchr(s + b, '\n', sc->n - b);
  e = nl ? (size_t)(nl - s) + 1 : sc->n;
  size_t off = b, len = e - b;
  sqlsplit_trim((const char *)s, &off, &len);
  char *d;
  size_t dlen;
  if (len >= 2 && s[off] == '\'' && s[off + len - 1] == '\'') {
    /* MySQL allows 'quoted' delimiters, '' for a quote */
    char *tmp = malloc(len);
    size_t k = 0;
    if (!tmp)
      return R_NOMEM;
    for (size_t j = off + 1; j < off + len - 1; j++) {
      tmp[k++] = (char)s[j];
      if (s[j] == '\'' && j + 1 < off + len - 1 && s[j + 1] == '\'')
        j++;
    }
    d = sqlsplit_unescape_delimiter(tmp, k, &dlen);
    free(tmp);
  } else {
    d = sqlsplit_unescape_delimiter((const char *)s + off, len, &dlen);
  }
  if (!d)
    return R_NOMEM;
  if (dlen == 0) {
    free(d);
    return -1;
  }
  int rc = set_delim(sc, (const unsigned char *)d, dlen, e);
  free(d);
  if (rc != 0)
    return R_NOMEM;
  sc->res->ncomments = sc->group0;  /* the command's comments are dropped */
  begin_at(sc, f, e);
  return 0;
}

/*
** Scan the statement of frame f (top: the top-level scanner with comment
** recording, DELIMITER and custom delimiters). blk is the result of the
** block this frame waited for, or NULL. Returns R_DONE with *out filled,
** R_NEED (f->blk/f->wait_y name the block to resolve), R_ABORT (budget
** spent, sub-scans only) or R_NOMEM.
*/
static int run_stmt(scanner *sc, frame *f, int top, const sres *blk,
                    sres *out) {
  const unsigned char *s = sc->s;
  size_t n = sc->n;
  memset(out, 0, sizeof *out);
  if (blk) {
    if (blk->kind == K_BLOCK) {
      out->kind = K_BLOCK;
      out->text_start = f->text_start;
      out->end = blk->end;
      return R_DONE;
    }
    if (continue_after_block(sc, f, out))
      return R_DONE;
  }
  for (;;) {
    size_t i = f->pos;
    /* sub-scans (BEGIN block bodies) pay from the budget; the top level
    ** is a single left-to-right pass and needs no bound */
    if (!top && ++sc->work > sc->limit)
      return R_ABORT;
    if (i >= n) {
      /* EOF: Atlas emits what was scanned (s.pos > 0) unless a "(" is open */
      out->text_start = f->text_start;
      if (f->depth > 0)
        set_err(out, E_LPAREN, f->open_pos);
      else if (i > f->text_start) {
        out->kind = K_EOF;
        out->end = n;
      } else {
        out->kind = K_EMPTY;
        out->end = n;
      }
      return R_DONE;
    }
    unsigned char c = s[i];
    /* the cases below follow the order of Atlas's switch: it matters when
    ** a custom delimiter starts with one of these characters */
    if (c == '(') {
      if (f->depth++ == 0)
        f->open_pos = i;
      f->pos = i + 1;
      continue;
    }
    if (c == ')') {
      if (f->depth == 0) {
        out->text_start = f->text_start;
        set_err(out, E_RPAREN, i);
        return R_DONE;
      }
      f->depth--;
      f->pos = i + 1;
      continue;
    }
    if (c == '\'' || c == '"' || c == '`') {
      /* quotes come before the delimiter: a quoted ";" never ends anything */
      size_t j = skip_quote(s, n, i);
      if (j == NPOS) {
        out->text_start = f->text_start;
        set_err(out, E_QUOTE, i);
        return R_DONE;
      }
      if (!top)
        sc->work += j - i;
      f->pos = j;
      continue;
    }
    if (top && i == f->text_start && (c == 'd' || c == 'D') && n - i > 9 &&
        has_word_ci(s, n, i, "delimiter")) {
      if (s[i + 9] != ' ') {  /* Atlas skips the word and goes on */
        f->pos = i + 9;
        continue;
      }
      int rc = delimiter_command(sc, f, i);
      if (rc == R_NOMEM)
        return R_NOMEM;
      if (rc < 0) {
        out->text_start = f->text_start;
        set_err(out, E_DELIM, i);
        return R_DONE;
      }
      continue;
    }
    /* the delimiter ends the statement at depth 0 (before comments: a
    ** delimiter such as "-- end" wins over the comment it looks like) */
    if (f->depth == 0 && (top ? delim_at(sc, i) : c == ';')) {
      out->kind = K_DELIM;
      out->text_start = f->text_start;
      out->end = i + (top ? sc->dlen : 1);
      return R_DONE;
    }
    size_t t;
    if (c == '$' && (t = dollar_tag_len(s, n, i)) != 0) {
      size_t j = skip_dollar(s, n, i, t);
      if (j == NPOS) {
        out->text_start = f->text_start;
        set_err(out, E_DOLLAR, i);
        return R_DONE;
      }
      if (!top)
        sc->work += j - i;
      f->pos = j;
      continue;
    }
    /* a comment at the statement start is detached into the group (and
    ** recorded at the top level); inside a statement it stays in the text */
    if (c == '-' && i + 1 < n && s[i + 1] == '-') {
      const unsigned char *nl = memchr(s + i + 2, '\n', n - i - 2);
      if (!nl) {  /* comment text up to EOF, kept in the statement */
        if (!top)
          sc->work += n - i;
        f->pos = n;
        continue;
      }
      size_t j = (size_t)(nl - s) + 1;
      if (!top)
        sc->work += j - i;
      if (i != f->text_start) {
        f->pos = j;
        continue;
      }
      if (top && record_comment(sc, i, j - 1 - i) != 0)
        return R_NOMEM;
      if (top && j < n && s[j] == '\n')  /* a blank line ends the group */
        sc->res->ncomments = sc->group0;
      begin_at(sc, f, j);
      continue;
    }
    if (c == '/' && i + 1 < n && s[i + 1] == '*') {
      size_t j = skip_block_comment(s, n, i);
      if (j == NPOS) {
        out->text_start = f->text_start;
        set_err(out, E_COMMENT, i);
        return R_DONE;
      }
      if (!top)
        sc->work += j - i;
      if (i != f->text_start) {
        f->pos = j;
        continue;
      }
      if (top && record_comment(sc, i, j - i) != 0)
        return R_NOMEM;
      if (top && n - j >= 2 && s[j] == '\n' && s[j + 1] == '\n')
        sc->res->ncomments = sc->group0;
      begin_at(sc, f, j);
      continue;
    }
    /* BEGIN ATOMIC anywhere; plain BEGIN at the statement start or after
    ** \s. Only with the default delimiter, as in Atlas. */
    if ((c == 'B' || c == 'b') && (!top || sc->is_default)) {
      size_t y = match_begin_atomic(s, n, i);
      unsigned char b = BLK_ATOMIC;
      if (y == NPOS && (i == f->text_start || is_re_space(s[i - 1]))) {
        y = match_begin(s, n, i);
        b = BLK_BEGIN;
      }
      if (y != NPOS) {
        f->wait_y = y;
        f->blk = b;
        const sres *m = memo_get(sc, KEY_CHAIN(b, skip_spaces(s, n, y)));
        if (m && m->kind == K_BLOCK) {
          out->kind = K_BLOCK;
          out->text_start = f->text_start;
          out->end = m->end;
          return R_DONE;
        }
        if (!m && !sc->exhausted)
          return R_NEED;  /* the caller resolves it and resumes us */
        /* the block failed (or the budget is gone): go on after BEGIN */
        if (continue_after_block(sc, f, out))
          return R_DONE;
        continue;
      }
    }
    /* anything else: one rune (the delimiter is checked at rune starts) */
    f->pos = i + rune_width(s, n, i);
  }
}

/* Remember that the innermost open chain walked statement start p. */
static int push_vis(scanner *sc, size_t p) {
  if (sc->nvis == sc->capvis) {
    size_t ncap = sc->capvis ? sc->capvis * 2 : 64;
    size_t *v = realloc(sc->vis, ncap * sizeof *v);
    if (!v)
      return -1;
    sc->vis = v;
    sc->capvis = ncap;
  }
  sc->vis[sc->nvis++] = p;
  return 0;
}

/* The budget ran out: forget every open frame; the block counts as failed. */
static int abort_resolution(scanner *sc, sres *out) {
  sc->exhausted = 1;
  sc->nstk = 0;
  sc->nvis = 0;
  memset(out, 0, sizeof *out);
  set_err(out, E_NONE, 0);
  return R_DONE;
}

/*
** Resolve the block body of kind b starting at y: scan statements until
** one is its END. Runs the nesting on sc->stk. Sets *out to K_BLOCK (end =
** after the END statement) or K_ERR (no END: EOF or a syntax error).
** Returns R_DONE or R_NOMEM; a spent budget gives K_ERR.
**
** A chain's answer is the same from every statement start it walks, so
** each of them is memoised: a later chain that reaches one of them stops
** there. Every statement start is thus walked once per kind of block.
*/
static int resolve_block(scanner *sc, unsigned char b, size_t y, sres *out) {
  sres ret;
  int have = 0;
  frame *f = push_frame(sc);
  if (!f)
    return R_NOMEM;
  f->chain = 1;
  f->blk = b;
  f->start = f->pos = skip_spaces(sc->s, sc->n, y);
  f->vis0 = sc->nvis;
  memset(&ret, 0, sizeof ret);
  while (sc->nstk > 0) {
    f = &sc->stk[sc->nstk - 1];
    if (f->chain) {
      sres r;
      int pushed = 0;
      memset(&r, 0, sizeof r);
      for (;;) {
        const sres *m;
        size_t p = skip_spaces(sc->s, sc->n, f->pos);
        if (have) {  /* the statement at p, just scanned */
          m = &ret;
          have = 0;
        } else {
          if (++sc->work > sc->limit)
            return abort_resolution(sc, out);
          if ((m = memo_get(sc, KEY_CHAIN(f->blk, p))) != NULL) {
            r = *m;  /* a chain already walked from here */
            break;
          }
          if (push_vis(sc, p) != 0)
            return R_NOMEM;
          if ((m = memo_get(sc, KEY_STMT(p))) == NULL) {
            frame *g = push_frame(sc);  /* may move f */
            if (!g)
              return R_NOMEM;
            g->start = g->pos = g->text_start = p;
            pushed = 1;
            break;
          }
        }
        if (m->kind == K_ERR || m->kind == K_EMPTY) {
          set_err(&r, E_NONE, 0);
          break;
        }
        if (m->endflags & f->blk) {
          r.kind = K_BLOCK;
          r.end = m->end;
          break;
        }
        f->pos = m->end;
      }
      if (pushed)
        continue;
      for (size_t k = f->vis0; k < sc->nvis; k++)
        if (memo_put(sc, KEY_CHAIN(f->blk, sc->vis[k]), &r) != 0)
          return R_NOMEM;
      sc->nvis = f->vis0;
      sc->nstk--;
      ret = r;
      have = 1;
    } else {
      sres r;
      int rc = run_stmt(sc, f, 0, have ? &ret : NULL, &r);
      have = 0;
      if (rc == R_NOMEM)
        return R_NOMEM;
      if (rc == R_ABORT)
        return abort_resolution(sc, out);
      if (rc == R_NEED) {
        unsigned char nb = f->blk;
        size_t ny = skip_spaces(sc->s, sc->n, f->wait_y);
        frame *g = push_frame(sc);  /* may move f */
        if (!g)
          return R_NOMEM;
        g->chain = 1;
        g->blk = nb;
        g->start = g->pos = ny;
        g->vis0 = sc->nvis;
        continue;
      }
      if (r.kind != K_ERR && r.kind != K_EMPTY)
        r.endflags = end_flags(sc, r.text_start, r.end);
      if (memo_put(sc, KEY_STMT(f->start), &r) != 0)
        return R_NOMEM;
      sc->nstk--;
      ret = r;
      have = 1;
    }
  }
  *out = ret;
  return R_DONE;
}

/* ------------------------------------------------------------------ */
/* Results                                                             */
/* ------------------------------------------------------------------ */

void sqlsplit_linecol(const char *src, size_t len, size_t off, size_t *line,
                      size_t *col) {
  size_t l = 1, ls = 0;
  if (off > len)
    off = len;
  for (const char *p = src; (p = memchr(p, '\n', (size_t)(src + off - p)));
       p++) {
    l++;
    ls = (size_t)(p - src) + 1;
  }
  *line = l;
  *col = off - ls + 1;
}

/* Set res's error to msg at off; returns SQLSPLIT_ESYNTAX (or ENOMEM). */
static int fail_msg(sqlsplit_result *res, const char *src, size_t len,
                    size_t off, const char *msg, size_t mlen) {
  res->err_msg = malloc(mlen + 1);
  if (!res->err_msg)
    return SQLSPLIT_ENOMEM;
  memcpy(res->err_msg, msg, mlen);
  res->err_msg[mlen] = '\0';
  res->err_off = off;
  sqlsplit_linecol(src, len, off, &res->err_line, &res->err_col);
  return SQLSPLIT_ESYNTAX;
}

/* Report a scan error as res->err_*. */
static int fail_syntax(scanner *sc, const sres *r) {
  const char *src = (const char *)sc->s;
  char buf[64];
  switch (r->ecode) {
  case E_QUOTE: {
    unsigned char q = sc->s[r->epos];
    if (q == '"')
      snprintf(buf, sizeof buf, "unclosed quote \"\\\"\"");
    else
      snprintf(buf, sizeof buf, "unclosed quote \"%c\"", q);
    break;
  }
  case E_DOLLAR: {
    size_t t = dollar_tag_len(sc->s, sc->n, r->epos);
    static const char pre[] = "unclosed dollar-quoted string ";
    size_t ml = sizeof pre - 1 + t;
    char *m = malloc(ml + 1);
    if (!m)
      return SQLSPLIT_ENOMEM;
    memcpy(m, pre, sizeof pre - 1);
    memcpy(m + sizeof pre - 1, src + r->epos, t);
    int rc = fail_msg(sc->res, src, sc->n, r->epos, m, ml);
    free(m);
    return rc;
  }
  case E_COMMENT:
    snprintf(buf, sizeof buf, "unclosed comment");
    break;
  case E_RPAREN:
    snprintf(buf, sizeof buf, "unexpected ')'");
    break;
  case E_LPAREN:
    snprintf(buf, sizeof buf, "unclosed '('");
    break;
  default:
    snprintf(buf, sizeof buf, "empty delimiter");
    break;
  }
  return fail_msg(sc->res, src, sc->n, r->epos, buf, strlen(buf));
}

/* Record the statement [ts, e) of the top-level scan. */
static int emit(scanner *sc, size_t ts, size_t e, size_t *cur, size_t *line,
                size_t *ls) {
  sqlsplit_result *res = sc->res;
  if (!sc->is_default && e - ts >= sc->dlen &&
      memcmp(sc->s + e - sc->dlen, sc->delim, sc->dlen) == 0)
    e -= sc->dlen;
  size_t off = ts, len = e - ts;
  sqlsplit_trim((const char *)sc->s, &off, &len);
  if (res->nstmts == res->capstmts) {
    size_t ncap = res->capstmts ? res->capstmts * 2 : 16;
    sqlsplit_stmt *p = realloc(res->stmts, ncap * sizeof *p);
    if (!p)
      return -1;
    res->stmts = p;
    res->capstmts = ncap;
  }
  /* statements come in order: count lines incrementally */
  const unsigned char *p;
  while (*cur < off &&
         (p = memchr(sc->s + *cur, '\n', off - *cur)) != NULL) {
    (*line)++;
    *cur = (size_t)(p - sc->s) + 1;
    *ls = *cur;
  }
  *cur = off;
  sqlsplit_stmt *st = &res->stmts[res->nstmts++];
  st->off = off;
  st->len = len;
  st->line = *line;
  st->col = off - *ls + 1;
  st->comment0 = sc->group0;
  st->ncomments = res->ncomments - sc->group0;
  return 0;
}

/*
** Public entry. Line 1 may carry "-- atlas:delimiter X" (prefix exactly
** "-- "): the rest of the file is then scanned with X, unescaped. The top
** level is one left-to-right run_stmt loop; each BEGIN block it meets is
** resolved by resolve_block on the explicit stack, then the loop resumes.
*/
int sqlsplit_split(const char *src, size_t len, sqlsplit_result *res) {
  scanner sc;
  int rc = SQLSPLIT_OK;
  memset(&sc, 0, sizeof sc);
  sc.s = (const unsigned char *)src;
  sc.n = len;
  sc.res = res;
  sc.limit = len > (NPOS - (1u << 20)) / 8 ? NPOS : 8 * len + (1u << 20);
  size_t start = 0;
  sqlsplit_directive d;
  if (sqlsplit_parse_directive(src, len, &d) && d.prefix_len == 3 &&
      memcmp(src, "-- ", 3) == 0 && d.name_len == 9 &&
      memcmp(src + d.name_off, "delimiter", 9) == 0) {
    if (d.arg_len == 0)
      return fail_msg(res, src, len, 0, "empty delimiter", 15);
    res->delimiter = sqlsplit_unescape_delimiter(src + d.arg_off, d.arg_len,
                                                 &res->delimiter_len);
    if (!res->delimiter)
      return SQLSPLIT_ENOMEM;
    const char *nl = memchr(src, '\n', len);
    if (!nl) {
      static const char pre[] = "no input found after delimiter ";
      size_t qn = sqlsplit_goquote(NULL, src + d.arg_off, d.arg_len);
      char *full = malloc(sizeof pre - 1 + qn + 1);
      if (!full)
        return SQLSPLIT_ENOMEM;
      memcpy(full, pre, sizeof pre - 1);
      sqlsplit_goquote(full + sizeof pre - 1, src + d.arg_off, d.arg_len);
      rc = fail_msg(res, src, len, 0, full, sizeof pre - 1 + qn);
      free(full);
      return rc;
    }
    start = (size_t)(nl - src) + 1;
    if (res->delimiter_len == 0)
      return fail_msg(res, src, len, 0, "empty delimiter", 15);
    if (set_delim(&sc, (const unsigned char *)res->delimiter,
                  res->delimiter_len, start) != 0)
      return SQLSPLIT_ENOMEM;
  } else if (set_delim(&sc, (const unsigned char *)";", 1, 0) != 0) {
    return SQLSPLIT_ENOMEM;
  }

  frame top;
  memset(&top, 0, sizeof top);
  begin_at(&sc, &top, start);
  size_t cur = 0, line = 1, ls = 0;
  const sres *blk = NULL;
  sres r, br;
  for (;;) {
    int st = run_stmt(&sc, &top, 1, blk, &r);
    blk = NULL;
    if (st == R_NEED) {
      st = resolve_block(&sc, top.blk, top.wait_y, &br);
      if (st == R_NOMEM) {
        rc = SQLSPLIT_ENOMEM;
        break;
      }
      blk = &br;
      continue;
    }
    if (st == R_NOMEM) {
      rc = SQLSPLIT_ENOMEM;
      break;
    }
    if (r.kind == K_EMPTY) {
      res->ncomments = sc.group0;  /* trailing comments belong to nobody */
      break;
    }
    if (r.kind == K_ERR) {
      rc = fail_syntax(&sc, &r);
      break;
    }
    if (emit(&sc, r.text_start, r.end, &cur, &line, &ls) != 0) {
      rc = SQLSPLIT_ENOMEM;
      break;
    }
    sc.group0 = res->ncomments;
    top.depth = 0;
    begin_at(&sc, &top, r.end);
  }
  res->work = sc.work;
  res->exhausted = sc.exhausted;
  free(sc.delim);
  free(sc.kmp);
  free(sc.memo);
  free(sc.stk);
  free(sc.vis);
  return rc;
}

/* Public: release a result (any outcome); it is zeroed for reuse. */
void sqlsplit_free(sqlsplit_result *res) {
  free(res->stmts);
  free(res->comments);
  free(res->delimiter);
  free(res->err_msg);
  memset(res, 0, sizeof *res);
}

/* ------------------------------------------------------------------ */
/* Directives                                                          */
/* ------------------------------------------------------------------ */

int sqlsplit_parse_directive(const char *src, size_t len,
                             sqlsplit_directive *d) {
  const unsigned char *p = (const unsigned char *)src;
  const unsigned char *nl = memchr(p, '\n', len);
  size_t L = nl ? (size_t)(nl - p) : len;
  size_t P = 0;
  while (P < L && p[P] >= 0x20 && p[P] <= 0x7e)
    P++;
  /* ([ -~]*) is greedy: the last "atlas:\w" whose prefix is printable */
  for (size_t k = P >= 7 ? P - 7 + 1 : 0; k-- > 0;) {
    if (memcmp(p + k, "atlas:", 6) != 0 || !is_word(p[k + 6]))
      continue;
    size_t a = k + 6;
    while (a < L && is_word(p[a]))
      a++;
    d->prefix_len = k;
    d->name_off = k + 6;
    d->name_len = a - (k + 6);
    d->arg_off = a;
    d->arg_len = 0;
    if (a < L && p[a] == ' ') {
      size_t sp = a;
      while (sp < L && p[sp] == ' ')
        sp++;
      if (sp < L) {  /* " +(.+)": everything after the spaces */
        d->arg_off = sp;
        d->arg_len = L - sp;
      } else if (sp - a >= 2) {  /* backtracking leaves one space to .+ */
        d->arg_off = L - 1;
        d->arg_len = 1;
      }
    }
    return 1;
  }
  return 0;
}

/*
** Public: Atlas's LocalFile comments() block. Every line that starts with
** "#" or "--" is part of it; it counts when the rest of the file, after
** spaces and tabs, starts with "\n" (so "\r\n" does not: Atlas drops the
** directives of CRLF files), or when nothing but whitespace follows.
*/
int sqlsplit_file_comment_block(const char *src, size_t len, size_t *end) {
  size_t i = 0;
  while (i < len && (src[i] == '#' ||
                     (src[i] == '-' && i + 1 < len && src[i + 1] == '-'))) {
    const char *nl = memchr(src + i, '\n', len - i);
    if (!nl) {  /* the file is nothing but comments */
      *end = len;
      return 1;
    }
    i = (size_t)(nl - src) + 1;
  }
  *end = i;
  if (i == 0)
    return 0;
  size_t j = i;
  while (j < len && (src[j] == ' ' || src[j] == '\t'))
    j++;
  if (j < len && src[j] == '\n')
    return 1;  /* followed by an empty line (Atlas: LF only) */
  /* or by nothing but whitespace: a comments-only file */
  size_t off = i, rest = len - i;
  sqlsplit_trim(src, &off, &rest);
  return rest == 0;
}

/* Public: unescape backslash-n, -r, -t, left to right, as Atlas's setDelim. */
char *sqlsplit_unescape_delimiter(const char *p, size_t len, size_t *outlen) {
  char *d = malloc(len + 1);
  size_t k = 0;
  if (!d)
    return NULL;
  for (size_t i = 0; i < len; i++) {
    if (p[i] == '\\' && i + 1 < len &&
        (p[i + 1] == 'n' || p[i + 1] == 'r' || p[i + 1] == 't')) {
      d[k++] = p[i + 1] == 'n' ? '\n' : p[i + 1] == 'r' ? '\r' : '\t';
      i++;
    } else {
      d[k++] = p[i];
    }
  }
  d[k] = '\0';
  *outlen = k;
  return d;
}

/* ------------------------------------------------------------------ */
/* Go's %q                                                             */
/* ------------------------------------------------------------------ */

/* Decode the valid rune of width w at p. */
static uint32_t decode(const unsigned char *p, size_t w) {
  if (w == 2)
    return ((uint32_t)(p[0] & 0x1F) << 6) | (p[1] & 0x3F);
  if (w == 3)
    return ((uint32_t)(p[0] & 0x0F) << 12) | ((uint32_t)(p[1] & 0x3F) << 6) |
           (p[2] & 0x3F);
  return ((uint32_t)(p[0] & 0x07) << 18) | ((uint32_t)(p[1] & 0x3F) << 12) |
         ((uint32_t)(p[2] & 0x3F) << 6) | (p[3] & 0x3F);
}

/* An approximation of Go's unicode.IsPrint for runes >= 0x80. */
static int rune_printable(uint32_t r) {
  if (r < 0xA1 || r == 0xAD || r == 0x61C || r == 0x1680 || r == 0x180E)
    return 0;
  if ((r >= 0x2000 && r <= 0x200F) || (r >= 0x2028 && r <= 0x202F) ||
      (r >= 0x205F && r <= 0x206F) || r == 0x3000 || r == 0xFEFF ||
      (r >= 0xFFF9 && r <= 0xFFFB) || (r >= 0xE000 && r <= 0xF8FF) ||
      (r & 0xFFFE) == 0xFFFE || r >= 0xF0000)
    return 0;
  return 1;
}

/* Public: Go's strconv.Quote, runes decoded like utf8.DecodeRune. */
size_t sqlsplit_goquote(char *out, const char *src, size_t len) {
  const unsigned char *s = (const unsigned char *)src;
  char tmp[16];
  size_t n = 0;
#define PUT(p, k) do { if (out) memcpy(out + n, (p), (k)); n += (k); } while (0)
  PUT("\"", 1);
  for (size_t i = 0; i < len;) {
    unsigned char c = s[i];
    size_t w = rune_width(s, len, i);
    if (c < 0x80) {
      const char *esc = NULL;
      switch (c) {
      case '"': esc = "\\\""; break;
      case '\\': esc = "\\\\"; break;
      case '\a': esc = "\\a"; break;
      case '\b': esc = "\\b"; break;
      case '\f': esc = "\\f"; break;
      case '\n': esc = "\\n"; break;
      case '\r': esc = "\\r"; break;
      case '\t': esc = "\\t"; break;
      case '\v': esc = "\\v"; break;
      default: break;
      }
      if (esc) {
        PUT(esc, 2);
      } else if (c < 0x20 || c == 0x7F) {
        snprintf(tmp, sizeof tmp, "\\x%02x", c);
        PUT(tmp, 4);
      } else {
        PUT(s + i, 1);
      }
    } else if (w == 1) {  /* invalid UTF-8 */
      snprintf(tmp, sizeof tmp, "\\x%02x", c);
      PUT(tmp, 4);
    } else {
      uint32_t r = decode(s + i, w);
      if (rune_printable(r)) {
        PUT(s + i, w);
      } else if (r < 0x10000) {
        snprintf(tmp, sizeof tmp, "\\u%04x", (unsigned)r);
        PUT(tmp, 6);
      } else {
        snprintf(tmp, sizeof tmp, "\\U%08x", (unsigned)r);
        PUT(tmp, 10);
      }
    }
    i += w;
  }
  PUT("\"", 1);
#undef PUT
  return n;
}
