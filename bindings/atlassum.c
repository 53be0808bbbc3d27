/*
** atlassum.c: atlas.sum computation, parsing and validation (see atlassum.h).
**
** Not a Lua module: the dbhost.hash binding (hash.c), its tests and the
** fuzz target all call these functions, so the algorithm exists once.
*/
#include "atlassum.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>

/* ---- SHA-256 and encodings -------------------------------------------- */

/* One-shot SHA-256 through the EVP API (OpenSSL picks SHA-NI/AVX code). */
int as_sha256(const void *p, size_t n, unsigned char out[32]) {
  unsigned int len = 0;
  if (EVP_Digest(p, n, out, &len, EVP_sha256(), NULL) != 1 || len != 32)
    return -1;
  return 0;
}

/* Go's base64.StdEncoding: the standard alphabet, '=' padding, no line
** breaks. Three input bytes become four characters; a short tail is padded. */
size_t as_base64(const unsigned char *in, size_t n, char *out) {
  static const char tab[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  size_t o = 0, i = 0;
  for (; i + 3 <= n; i += 3) {
    unsigned long v = ((unsigned long)in[i] << 16) | ((unsigned long)in[i + 1] << 8) | in[i + 2];
    out[o++] = tab[(v >> 18) & 63];
    out[o++] = tab[(v >> 12) & 63];
    out[o++] = tab[(v >> 6) & 63];
    out[o++] = tab[v & 63];
  }
  if (n - i == 1) {
    unsigned long v = (unsigned long)in[i] << 16;
    out[o++] = tab[(v >> 18) & 63];
    out[o++] = tab[(v >> 12) & 63];
    out[o++] = '=';
    out[o++] = '=';
  } else if (n - i == 2) {
    unsigned long v = ((unsigned long)in[i] << 16) | ((unsigned long)in[i + 1] << 8);
    out[o++] = tab[(v >> 18) & 63];
    out[o++] = tab[(v >> 12) & 63];
    out[o++] = tab[(v >> 6) & 63];
    out[o++] = '=';
  }
  out[o] = '\0';
  return o;
}

/* Two lowercase digits per byte, high nibble first. */
void as_hex(const unsigned char *in, size_t n, char *out) {
  static const char digits[] = "0123456789abcdef";
  for (size_t i = 0; i < n; i++) {
    out[2 * i] = digits[in[i] >> 4];
    out[2 * i + 1] = digits[in[i] & 15];
  }
  out[2 * n] = '\0';
}

/* ---- entries ------------------------------------------------------------ */

/* Release everything; the list is zeroed and may be reused. */
void as_list_free(as_list *l) {
  free(l->v);
  l->v = NULL;
  l->n = l->cap = 0;
  dbh_buf_free(&l->arena);
  l->total[0] = '\0';
  l->text_len = 0;
}

void as_list_clear(as_list *l) {
  l->n = 0;
  l->arena.len = 0;
  l->total[0] = '\0';
  l->text_len = 0;
}

/* The entries array doubles; the arena grows through dbh_buf. Offsets (not
** pointers) are stored, because the arena may move while it grows. */
int as_list_add(as_list *l, const char *name, size_t name_len,
                const char *hash, size_t hash_len) {
  if (l->n == l->cap) {
    size_t cap = l->cap ? l->cap * 2 : 64;
    as_entry *v = realloc(l->v, cap * sizeof *v);
    if (!v)
      return -1;
    l->v = v;
    l->cap = cap;
  }
  /* Both strings go to the arena, each followed by a NUL for C callers. */
  if (dbh_buf_reserve(&l->arena, name_len + hash_len + 2) != 0)
    return -1;
  as_entry *e = &l->v[l->n];
  memset(e, 0, sizeof *e);
  e->name_off = l->arena.len;
  e->name_len = name_len;
  dbh_buf_append(&l->arena, name, name_len);
  dbh_buf_append(&l->arena, "", 1);
  e->hash_off = l->arena.len;
  e->hash_len = hash_len;
  dbh_buf_append(&l->arena, hash, hash_len);
  dbh_buf_append(&l->arena, "", 1);
  l->n++;
  return 0;
}

const char *as_entry_name(const as_list *l, size_t i) {
  return l->arena.data + l->v[i].name_off;
}

const char *as_entry_hash(const as_list *l, size_t i) {
  return l->arena.data + l->v[i].hash_off;
}

/* HashFile.Sum: SHA-256 over name||hash of every entry ("h1:" not included). */
int as_list_total(as_list *l) {
  unsigned char md[32];
  unsigned int mdlen = 0;
  int ok = 0;
  EVP_MD_CTX *ctx = EVP_MD_CTX_new();
  if (ctx && EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) == 1) {
    ok = 1;
    for (size_t i = 0; ok && i < l->n; i++) {
      const as_entry *e = &l->v[i];
      ok = EVP_DigestUpdate(ctx, l->arena.data + e->name_off, e->name_len) == 1 &&
           EVP_DigestUpdate(ctx, l->arena.data + e->hash_off, e->hash_len) == 1;
    }
    ok = ok && EVP_DigestFinal_ex(ctx, md, &mdlen) == 1 && mdlen == 32;
  }
  EVP_MD_CTX_free(ctx);
  if (!ok)
    return -1;
  as_base64(md, 32, l->total);
  return 0;
}

/* HashFile.MarshalText: "h1:<total>\n" then "<name> h1:<hash>\n" per line. */
int as_render(const as_list *l, dbh_buf *out) {
  size_t need = 3 + strlen(l->total) + 1;
  for (size_t i = 0; i < l->n; i++)
    need += l->v[i].name_len + 4 + l->v[i].hash_len + 1;
  if (dbh_buf_reserve(out, need) != 0)
    return -1;
  dbh_buf_append(out, "h1:", 3);
  dbh_buf_append(out, l->total, strlen(l->total));
  dbh_buf_append(out, "\n", 1);
  for (size_t i = 0; i < l->n; i++) {
    const as_entry *e = &l->v[i];
    dbh_buf_append(out, l->arena.data + e->name_off, e->name_len);
    dbh_buf_append(out, " h1:", 4);
    dbh_buf_append(out, l->arena.data + e->hash_off, e->hash_len);
    dbh_buf_append(out, "\n", 1);
  }
  return 0;
}

/* ---- errors ------------------------------------------------------------- */

const char *as_kind_message(as_kind k) {
  switch (k) {
    case AS_OK: return "ok";
    case AS_ENOTFOUND: return "checksum file not found";
    case AS_EFORMAT: return "checksum file format invalid";
    case AS_EMISMATCH: return "checksum mismatch";
    case AS_ERRNO: return "system error";
    case AS_ENOMEM: return "not enough memory";
    case AS_ECRYPTO: return "OpenSSL SHA-256 failed";
    case AS_EINTR: return "interrupted";
  }
  return "unknown error";
}

const char *as_kind_code(const as_error *e) {
  switch (e->kind) {
    case AS_ENOTFOUND: return "ENOTFOUND";
    case AS_EFORMAT: return "EFORMAT";
    case AS_EMISMATCH: return "EMISMATCH";
    case AS_ERRNO: return dbh_errno_name(e->err);
    case AS_ENOMEM: return "ENOMEM";
    case AS_ECRYPTO: return "ECRYPTO";
    case AS_EINTR: return "EINTR";
    case AS_OK: break;
  }
  return "OK";
}

const char *as_reason_name(as_reason r) {
  switch (r) {
    case AS_REASON_ADDED: return "added";
    case AS_REASON_EDITED: return "edited";
    case AS_REASON_REMOVED: return "removed";
    case AS_REASON_NONE: break;
  }
  return NULL;
}

static void set_error(as_error *e, as_kind kind) {
  memset(e, 0, sizeof *e);
  e->kind = kind;
}

/* A failed system call on `dir`/`name` (name may be NULL). */
static void set_errno(as_error *e, int err, const char *dir, const char *name) {
  set_error(e, AS_ERRNO);
  e->err = err;
  if (name)
    snprintf(e->file, sizeof e->file, "%s/%s", dir, name);
  else
    snprintf(e->file, sizeof e->file, "%s", dir);
}

/* ---- the atlas:sum directive -------------------------------------------- */

/* Go's regexp \w: ASCII letters, digits and underscore. */
static int is_word(unsigned char c) {
  return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') ||
         (c >= 'a' && c <= 'z') || c == '_';
}

/*
** Atlas matches ^([ -~]*)atlas:(\w+)(?: +(.+))* against the whole content
** (no multiline flag, so only line 1 can match) and ignores the file when
** group 2 is "sum" and group 3 is exactly "ignore". Worked out by hand:
**  - group 1 is greedy over printable ASCII, so the LAST "atlas:" followed by
**    a word character inside the leading printable run is the one used;
**  - group 2 takes every word character after it;
**  - group 3, when present, is the rest of the line after the run of spaces
**    ('.' matches '\r', so "ignore\r" is not "ignore").
*/
int as_sum_ignored(const char *data, size_t len) {
  const unsigned char *s = (const unsigned char *)data;
  size_t run = 0;  /* length of the leading printable-ASCII run */
  while (run < len && s[run] >= 0x20 && s[run] <= 0x7e)
    run++;
  if (run < 7)
    return 0;
  size_t p = run - 7 + 1;
  int found = 0;
  while (p-- > 0) {
    if (memcmp(s + p, "atlas:", 6) == 0 && is_word(s[p + 6])) {
      found = 1;
      break;
    }
  }
  if (!found)
    return 0;
  size_t q = p + 6;
  while (q < len && is_word(s[q]))
    q++;
  if (q - (p + 6) != 3 || memcmp(s + p + 6, "sum", 3) != 0)
    return 0;
  if (q >= len || s[q] != ' ')
    return 0;
  size_t r = q;
  while (r < len && s[r] == ' ')
    r++;
  size_t end = r;
  while (end < len && s[end] != '\n')
    end++;
  return end - r == 6 && memcmp(s + r, "ignore", 6) == 0;
}

/* ---- the running hasher ------------------------------------------------- */

/* Two contexts: `run` absorbs every file, `tmp` receives a copy of it each
** time a file's digest is taken (finalising `run` itself would end it). */
int as_run_init(as_run *r) {
  r->run = EVP_MD_CTX_new();
  r->tmp = EVP_MD_CTX_new();
  if (!r->run || !r->tmp ||
      EVP_DigestInit_ex((EVP_MD_CTX *)r->run, EVP_sha256(), NULL) != 1) {
    as_run_free(r);
    return -1;
  }
  return 0;
}

void as_run_free(as_run *r) {
  EVP_MD_CTX_free((EVP_MD_CTX *)r->run);
  EVP_MD_CTX_free((EVP_MD_CTX *)r->tmp);
  r->run = r->tmp = NULL;
}

int as_run_add(as_run *r, as_list *out, const char *name, size_t name_len,
               const char *data, size_t len, as_error *e) {
  EVP_MD_CTX *run = r->run, *tmp = r->tmp;
  unsigned char md[32];
  unsigned int mdlen = 0;
  char b64[AS_B64_LEN + 1];
  /* The name is absorbed even when the file turns out to be ignored. */
  if (EVP_DigestUpdate(run, name, name_len) != 1)
    goto crypto;
  if (as_sum_ignored(data, len))
    return 0;
  if (EVP_DigestUpdate(run, data, len) != 1)
    goto crypto;
  /* Go's h.Sum(nil): the digest so far, without disturbing the state. */
  if (EVP_MD_CTX_copy_ex(tmp, run) != 1 || EVP_DigestFinal_ex(tmp, md, &mdlen) != 1 ||
      mdlen != 32)
    goto crypto;
  as_base64(md, 32, b64);
  if (as_list_add(out, name, name_len, b64, AS_B64_LEN) != 0) {
    set_error(e, AS_ENOMEM);
    return -1;
  }
  return 0;
crypto:
  set_error(e, AS_ECRYPTO);
  return -1;
}

/* ---- parsing ------------------------------------------------------------ */

/* Length of a Unicode White_Space character (as Go's unicode.IsSpace sees
** it) starting at s, or 0. */
static size_t space_at(const unsigned char *s, size_t n) {
  if (n >= 1 && (s[0] == ' ' || (s[0] >= '\t' && s[0] <= '\r')))
    return 1;
  if (n >= 2 && s[0] == 0xc2 && (s[1] == 0x85 || s[1] == 0xa0))
    return 2;  /* U+0085 NEL, U+00A0 NBSP */
  if (n >= 3 && s[0] == 0xe1 && s[1] == 0x9a && s[2] == 0x80)
    return 3;  /* U+1680 */
  if (n >= 3 && s[0] == 0xe2 && s[1] == 0x80 &&
      ((s[2] >= 0x80 && s[2] <= 0x8a) || s[2] == 0xa8 || s[2] == 0xa9 || s[2] == 0xaf))
    return 3;  /* U+2000..U+200A, U+2028, U+2029, U+202F */
  if (n >= 3 && s[0] == 0xe2 && s[1] == 0x81 && s[2] == 0x9f)
    return 3;  /* U+205F */
  if (n >= 3 && s[0] == 0xe3 && s[1] == 0x80 && s[2] == 0x80)
    return 3;  /* U+3000 */
  return 0;
}

/* Length of a white-space character ending at s+n, or 0. A valid encoding
** of a space rune at the end is exactly what utf8.DecodeLastRune sees. */
static size_t space_before(const unsigned char *s, size_t n) {
  for (size_t k = 1; k <= 3 && k <= n; k++)
    if (space_at(s + n - k, k) == k)
      return k;
  return 0;
}

/* strings.TrimSpace on s[*off .. *off+*len). */
static void trim_space(const char *text, size_t *off, size_t *len) {
  const unsigned char *s = (const unsigned char *)text;
  size_t k;
  while (*len > 0 && (k = space_at(s + *off, *len)) > 0) {
    *off += k;
    *len -= k;
  }
  while (*len > 0 && (k = space_before(s + *off, *len)) > 0)
    *len -= k;
}

/* First occurrence of "h1:" in s[0..n), or -1. */
static long find_h1(const char *s, size_t n) {
  for (size_t i = 0; i + 3 <= n; i++) {
    const char *p = memchr(s + i, 'h', n - i - 2);
    if (!p)
      return -1;
    i = (size_t)(p - s);
    if (p[1] == '1' && p[2] == ':')
      return (long)i;
  }
  return -1;
}

/*
** The next line as bufio.ScanLines returns it: up to '\n' (dropped), one
** trailing '\r' dropped, a last line without '\n' returned as is. Returns 0
** when the text is exhausted.
*/
static int next_line(const char *text, size_t len, size_t *at, size_t *start,
                     size_t *linelen) {
  if (*at >= len)
    return 0;
  const char *nl = memchr(text + *at, '\n', len - *at);
  size_t end = nl ? (size_t)(nl - text) : len;
  *start = *at;
  *linelen = end - *at;
  if (*linelen > 0 && text[end - 1] == '\r')
    (*linelen)--;
  *at = nl ? end + 1 : len;
  return 1;
}

/*
** HashFile.UnmarshalText, step by step:
**  1. line 1 is the total, with a leading "h1:" trimmed if present (so an
**     empty text has the total "", which can never match);
**  2. every further line must contain "h1:": the part before its first
**     occurrence, TrimSpace'd, is the name, everything after it the hash
**     (an empty line, including a blank last line, is a format error);
**  3. the total recomputed from the lines must equal line 1, byte for byte.
** Unlike bufio.Scanner this accepts lines longer than 64 KiB.
*/
int as_parse(const char *text, size_t len, as_list *out, as_error *e) {
  size_t at = 0, start = 0, n = 0, lineno = 1;
  size_t total_off = 0, total_len = 0;
  as_list_clear(out);
  out->text_len = len;
  /* Line 1: the total, "h1:" trimmed when present (an empty text gives ""). */
  if (next_line(text, len, &at, &start, &n)) {
    total_off = start;
    total_len = n;
    if (n >= 3 && memcmp(text + start, "h1:", 3) == 0) {
      total_off += 3;
      total_len -= 3;
    }
  }
  while (next_line(text, len, &at, &start, &n)) {
    lineno++;
    long h = find_h1(text + start, n);
    if (h < 0) {
      set_error(e, AS_EFORMAT);
      e->line = lineno;
      e->pos = start;
      return -1;
    }
    size_t name_off = start, name_len = (size_t)h;
    trim_space(text, &name_off, &name_len);
    size_t hash_off = start + (size_t)h + 3, hash_len = n - (size_t)h - 3;
    if (as_list_add(out, text + name_off, name_len, text + hash_off, hash_len) != 0) {
      set_error(e, AS_ENOMEM);
      return -1;
    }
    out->v[out->n - 1].line = lineno;
    out->v[out->n - 1].pos = start;
  }
  if (as_list_total(out) != 0) {
    set_error(e, AS_ECRYPTO);
    return -1;
  }
  if (total_len != AS_B64_LEN || memcmp(text + total_off, out->total, AS_B64_LEN) != 0) {
    set_error(e, AS_EMISMATCH);
    e->from_parse = 1;
    e->line = 1;
    return -1;
  }
  return 0;
}

/* ---- the directory ------------------------------------------------------ */

void as_work_free(as_work *w) {
  as_run_free(&w->run);
  as_list_free(&w->computed);
  as_list_free(&w->recorded);
  dbh_buf_free(&w->names);
  free(w->order);
  w->order = NULL;
  w->norder = w->order_cap = 0;
  dbh_buf_free(&w->file);
  dbh_buf_free(&w->text);
}

static int cmp_names(const void *a, const void *b) {
  /* strcmp compares as unsigned char: Go's byte-wise string order. */
  return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Does the directory entry name a regular file (following links)? */
static int is_regular(int dfd, const struct dirent *de) {
  struct stat st;
#ifdef DT_REG
  if (de->d_type == DT_REG)
    return 1;
  if (de->d_type != DT_LNK && de->d_type != DT_UNKNOWN)
    return 0;
#endif
  return fstatat(dfd, de->d_name, &st, 0) == 0 && S_ISREG(st.st_mode);
}

/* Fill w->order with the directory's top-level regular *.sql files, sorted. */
static int list_sql(as_work *w, DIR *d, const char *dir, as_error *e) {
  int dfd = dirfd(d);
  w->names.len = 0;
  w->norder = 0;
  rewinddir(d);
  for (;;) {
    errno = 0;
    struct dirent *de = readdir(d);
    if (!de) {
      if (errno != 0) {
        set_errno(e, errno, dir, NULL);
        return -1;
      }
      break;
    }
    size_t n = strlen(de->d_name);
    /* fs.Glob("*.sql"): '*' also matches nothing and leading dots. */
    if (n < 4 || memcmp(de->d_name + n - 4, ".sql", 4) != 0 || !is_regular(dfd, de))
      continue;
    if (dbh_buf_append(&w->names, de->d_name, n + 1) != 0) {
      set_error(e, AS_ENOMEM);
      return -1;
    }
    w->norder++;
  }
  if (w->norder > w->order_cap) {
    const char **o = realloc(w->order, w->norder * sizeof *o);
    if (!o) {
      set_error(e, AS_ENOMEM);
      return -1;
    }
    w->order = o;
    w->order_cap = w->norder;
  }
  /* The arena no longer moves: point into it, then sort. */
  const char *p = w->names.data;
  for (size_t i = 0; i < w->norder; i++) {
    w->order[i] = p;
    p += strlen(p) + 1;
  }
  if (w->norder > 1)
    qsort(w->order, w->norder, sizeof *w->order, cmp_names);
  return 0;
}

/* Read the whole file dfd/name into b (replacing its content): one read
** loop into a buffer reused between files, so after the first few files no
** allocation (and no fstat) is needed. Returns 0, or an errno value (a
** directory gives EISDIR from read). */
static int read_at(int dfd, const char *name, dbh_buf *b) {
  int fd = openat(dfd, name, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return errno;
  b->len = 0;
  for (;;) {
    /* Keep room to spare, so the read that sees EOF needs no growth. */
    if (b->cap - b->len < 4096 && dbh_buf_reserve(b, b->cap > 65536 ? b->cap : 65536) != 0) {
      close(fd);
      return ENOMEM;
    }
    ssize_t got = read(fd, b->data + b->len, b->cap - b->len);
    if (got < 0) {
      if (errno == EINTR)
        continue;
      int err = errno;
      close(fd);
      return err;
    }
    if (got == 0)
      break;
    b->len += (size_t)got;
  }
  close(fd);
  return 0;
}

/* Hash the listed files of an open directory into w->computed: a fresh
** running hasher, each file read into the reused buffer and fed to it, the
** interrupt flag polled between files, then the total. */
static int compute_listed(as_work *w, DIR *d, const char *dir, as_error *e) {
  as_list_clear(&w->computed);
  as_run_free(&w->run);
  if (as_run_init(&w->run) != 0) {
    set_error(e, AS_ECRYPTO);
    return -1;
  }
  for (size_t i = 0; i < w->norder; i++) {
    if (dbh_interrupted) {
      set_error(e, AS_EINTR);
      return -1;
    }
    const char *name = w->order[i];
    int err = read_at(dirfd(d), name, &w->file);
    if (err != 0) {
      set_errno(e, err, dir, name);
      return -1;
    }
    if (as_run_add(&w->run, &w->computed, name, strlen(name), w->file.data,
                   w->file.len, e) != 0)
      return -1;
  }
  if (as_list_total(&w->computed) != 0) {
    set_error(e, AS_ECRYPTO);
    return -1;
  }
  return 0;
}

/* Atlas's LocalDir.Checksum: list, sort, hash. */
int as_compute_dir(as_work *w, const char *dir, as_error *e) {
  DIR *d = opendir(dir);
  if (!d) {
    set_errno(e, errno, dir, NULL);
    return -1;
  }
  int rc = list_sql(w, d, dir, e);
  if (rc == 0)
    rc = compute_listed(w, d, dir, e);
  closedir(d);
  return rc;
}

/*
** Atlas's checksum error: walk the recorded lines in order; the first one
** that differs says what happened:
**  - its name is not in the directory any more      -> removed (that name);
**  - its name is at the same index, hash differs    -> edited (that name);
**  - its name is further down                       -> added (the directory's
**    file at this index, which was inserted before it);
**  - every recorded line matches but the directory has more -> added, on
**    line Total + 2.
** Line = index + 2 (line 1 is the total); pos is the byte offset of that line
** in atlas.sum (its end for a file added after the last line). Totals that
** differ without any differing line (not possible for real files) give a
** mismatch with no reason.
*/
int as_compare(const as_list *rec, const as_list *cmp, as_error *e) {
  if (strcmp(rec->total, cmp->total) == 0)
    return 0;
  set_error(e, AS_EMISMATCH);
  for (size_t i = 0; i < rec->n; i++) {
    const as_entry *r = &rec->v[i];
    const char *rname = as_entry_name(rec, i);
    size_t idx = cmp->n;  /* where the recorded name is in the directory */
    for (size_t j = 0; j < cmp->n; j++) {
      if (cmp->v[j].name_len == r->name_len &&
          memcmp(as_entry_name(cmp, j), rname, r->name_len) == 0) {
        idx = j;
        break;
      }
    }
    const char *file = rname;
    if (idx == cmp->n || i >= cmp->n) {
      e->reason = AS_REASON_REMOVED;
    } else if (idx == i) {
      if (cmp->v[i].hash_len == r->hash_len &&
          memcmp(as_entry_hash(cmp, i), as_entry_hash(rec, i), r->hash_len) == 0)
        continue;
      e->reason = AS_REASON_EDITED;
    } else {
      /* A file was inserted before this one: it is the one to blame. */
      e->reason = AS_REASON_ADDED;
      file = as_entry_name(cmp, i);
    }
    e->line = i + 2;
    e->pos = r->pos;
    snprintf(e->file, sizeof e->file, "%s", file);
    return -1;
  }
  if (cmp->n > rec->n) {
    e->reason = AS_REASON_ADDED;
    e->line = rec->n + 2;
    e->pos = rec->text_len;
    snprintf(e->file, sizeof e->file, "%s", as_entry_name(cmp, rec->n));
  }
  return -1;
}

/*
** Atlas's migrate.Validate:
**  - no atlas.sum: fine without .sql files, else "checksum file not found";
**  - atlas.sum is parsed (format invalid / mismatch against itself);
**  - the directory is hashed and the totals compared (as_compare).
** Any other failure to read is a system error naming the file.
*/
int as_validate_dir(as_work *w, const char *dir, as_error *e) {
  DIR *d = opendir(dir);
  if (!d) {
    set_errno(e, errno, dir, NULL);
    return -1;
  }
  int rc = -1;
  /* atlas.sum first, like Atlas: its own errors win over the directory's. */
  int err = read_at(dirfd(d), "atlas.sum", &w->file);
  if (err == ENOENT) {
    /* No atlas.sum is fine while there are no migration files either. */
    if (list_sql(w, d, dir, e) == 0) {
      if (w->norder > 0)
        set_error(e, AS_ENOTFOUND);
      else
        rc = 0;
    }
  } else if (err != 0) {
    set_errno(e, err, dir, "atlas.sum");
  } else if (as_parse(w->file.data, w->file.len, &w->recorded, e) == 0 &&
             list_sql(w, d, dir, e) == 0 && compute_listed(w, d, dir, e) == 0) {
    rc = as_compare(&w->recorded, &w->computed, e);
  }
  closedir(d);
  return rc;
}
