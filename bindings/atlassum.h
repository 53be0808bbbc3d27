/*
** atlassum.h: Atlas's migration-directory integrity file (atlas.sum) in C.
**
** One implementation serves the dbhost.hash module (atlas_sum, atlas_sum_of,
** parse_sum, validate), its cmocka tests and its fuzz target. Nothing here
** touches a lua_State: failures are reported through an as_error and the
** binding turns them into Lua values.
**
** The algorithm follows Atlas's sql/migrate/dir.go (see the project's notes,
** atlas.md section 1):
**  - the .sql files directly in the directory, sorted by byte value;
**  - one running SHA-256 fed name, content, name, content, ...; the digest
**    after each file (without resetting) is that file's hash;
**  - a file whose first line carries "atlas:sum ignore" gets no line, but its
**    name is still fed to the running hash;
**  - the total is SHA-256 over name||hash of every line.
*/
#ifndef DBHOST_ATLASSUM_H
#define DBHOST_ATLASSUM_H

#include <stddef.h>

#include "common.h"

/* Length of a base64 SHA-256 digest ("47DEQpj8...=" is 44 characters). */
#define AS_B64_LEN 44
/* The total of an empty directory (the SHA-256 of nothing). */
#define AS_EMPTY_TOTAL "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="

/* ---- SHA-256 and encodings -------------------------------------------- */

/* SHA-256 of p[0..n) into out; 0 on success, -1 if OpenSSL fails. */
int as_sha256(const void *p, size_t n, unsigned char out[32]);

/* Standard base64 with padding; out needs 4*((n+2)/3)+1 bytes. Returns the
** length written (without the terminating NUL). */
size_t as_base64(const unsigned char *in, size_t n, char *out);

/* Lowercase hex; out needs 2*n+1 bytes. */
void as_hex(const unsigned char *in, size_t n, char *out);

/* ---- entries ------------------------------------------------------------ */

/* One line of an atlas.sum; the strings live in the owning list's arena. */
typedef struct as_entry {
  size_t name_off, name_len;  /* file name (trimmed, for a parsed file)   */
  size_t hash_off, hash_len;  /* hash text without "h1:"                  */
  size_t line;                /* 1-based line in the parsed text, or 0    */
  size_t pos;                 /* byte offset of that line, or 0           */
} as_entry;

/* An ordered list of entries plus the total over them. Zero-initialise. */
typedef struct as_list {
  as_entry *v;
  size_t n, cap;
  dbh_buf arena;                /* names and hashes, each NUL-terminated */
  char total[AS_B64_LEN + 1];   /* base64 total over the entries         */
  size_t text_len;              /* parsed lists: length of the text      */
} as_list;

void as_list_free(as_list *l);
/* Empty the list, keeping its allocations for reuse. */
void as_list_clear(as_list *l);
/* Append an entry (copies both strings); 0 ok, -1 out of memory. */
int as_list_add(as_list *l, const char *name, size_t name_len,
                const char *hash, size_t hash_len);
/* Set l->total from the entries (Atlas's HashFile.Sum); 0 ok, -1 OpenSSL. */
int as_list_total(as_list *l);
/* Entry accessors: pointers into the arena, NUL-terminated. */
const char *as_entry_name(const as_list *l, size_t i);
const char *as_entry_hash(const as_list *l, size_t i);
/* Append the atlas.sum text of l ("h1:<total>\n<name> h1:<hash>\n..."). */
int as_render(const as_list *l, dbh_buf *out);

/* ---- errors ------------------------------------------------------------- */

typedef enum as_kind {
  AS_OK = 0,
  AS_ENOTFOUND,   /* atlas.sum missing while .sql files exist            */
  AS_EFORMAT,     /* a line without "h1:" (line = its number)            */
  AS_EMISMATCH,   /* totals differ (reason says why, when it is known)   */
  AS_ERRNO,       /* a system call failed: err, and what (a file name)   */
  AS_ENOMEM,      /* out of memory                                       */
  AS_ECRYPTO,     /* OpenSSL failed                                      */
  AS_EINTR        /* dbh_interrupted was set: the caller raises          */
} as_kind;

typedef enum as_reason {
  AS_REASON_NONE = 0, AS_REASON_ADDED, AS_REASON_EDITED, AS_REASON_REMOVED
} as_reason;

typedef struct as_error {
  as_kind kind;
  int err;            /* errno for AS_ERRNO                                */
  as_reason reason;   /* AS_EMISMATCH from validation                      */
  int from_parse;     /* AS_EMISMATCH: the file disagrees with itself      */
  size_t line;        /* EFORMAT: the bad line; EMISMATCH: Atlas's Line    */
  size_t pos;         /* EMISMATCH with a reason: byte offset in atlas.sum */
  char file[512];     /* EMISMATCH: the file; AS_ERRNO: what failed        */
} as_error;

/* "checksum file not found", "checksum mismatch", ... (Atlas's wording). */
const char *as_kind_message(as_kind k);
/* "ENOTFOUND", "EFORMAT", "EMISMATCH", errno name, "ENOMEM", ... */
const char *as_kind_code(const as_error *e);
/* "added", "edited", "removed" or NULL. */
const char *as_reason_name(as_reason r);

/* ---- the algorithm ------------------------------------------------------ */

/* Does this file content carry "atlas:sum ignore" (first line only)? */
int as_sum_ignored(const char *data, size_t len);

/* The running hasher. Zero-initialise, then as_run_init. */
typedef struct as_run {
  void *run, *tmp;   /* EVP_MD_CTX *: the running state and a scratch copy */
} as_run;

int as_run_init(as_run *r);
void as_run_free(as_run *r);
/* Feed one file: its name always, its content and a line into `out` unless
** the content is sum-ignored. 0 ok, -1 (ENOMEM or OpenSSL: see e). */
int as_run_add(as_run *r, as_list *out, const char *name, size_t name_len,
               const char *data, size_t len, as_error *e);

/* Parse atlas.sum text like Atlas's HashFile.UnmarshalText (CRLF tolerated,
** "h1:" trimmed from line 1, names TrimSpace'd). Fills `out` (entries with
** line and pos, total recomputed). Returns 0, or -1 with e->kind EFORMAT,
** EMISMATCH (from_parse set), ENOMEM or ECRYPTO. */
int as_parse(const char *text, size_t len, as_list *out, as_error *e);

/* Reusable state for the directory functions (zero-initialise; free with
** as_work_free). Keeping it in one place lets the Lua binding park it in a
** userdata, so a raise never leaks it. */
typedef struct as_work {
  as_run run;
  as_list computed;    /* from the directory's .sql files  */
  as_list recorded;    /* from its atlas.sum (validation)  */
  dbh_buf names;       /* NUL-separated .sql names         */
  const char **order;  /* the names, sorted by bytes       */
  size_t norder, order_cap;
  dbh_buf file;        /* one file's content, reused       */
  dbh_buf text;        /* rendered atlas.sum text          */
} as_work;

void as_work_free(as_work *w);

/* Compute the sum of the directory `dir` into w->computed (total set).
** Returns 0, or -1 with e (ERRNO, ENOMEM, ECRYPTO, EINTR). */
int as_compute_dir(as_work *w, const char *dir, as_error *e);

/* Atlas's migrate.Validate: 0 when the directory matches its atlas.sum (or
** has neither atlas.sum nor .sql files), else -1 with e filled. */
int as_validate_dir(as_work *w, const char *dir, as_error *e);

/* Compare a parsed list with a computed one (both with totals); 0 when the
** totals agree, else -1 with e (EMISMATCH, reason, line, pos, file). */
int as_compare(const as_list *recorded, const as_list *computed, as_error *e);

#endif
