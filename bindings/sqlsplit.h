/*
** sqlsplit.h: the PostgreSQL statement splitter and Atlas directive parser
** behind the dbhost.sql module (bindings/sql.c). Pure C, no Lua: the
** cmocka tests and the fuzzer call it directly.
**
** The splitter reproduces the statement texts Atlas's PostgreSQL scanner
** emits (they feed the partial hashes in atlas_schema_revisions), and adds
** what PostgreSQL itself accepts beyond Atlas: nested block comments,
** E'...' escape strings, dollar quotes that follow PostgreSQL's tag rules.
** See the comment at the top of sqlsplit.c for every rule and deviation.
**
** All offsets are byte offsets into the original input, 0-based; lines and
** columns are 1-based, columns counted in bytes.
*/
#ifndef DBHOST_SQLSPLIT_H
#define DBHOST_SQLSPLIT_H

#include <stddef.h>

/* A byte range of the input. */
typedef struct sqlsplit_span {
  size_t off, len;
} sqlsplit_span;

/* One statement: its text (trimmed, delimiter kept for ";", stripped for a
** custom delimiter) and its detached leading comments. */
typedef struct sqlsplit_stmt {
  size_t off, len;            /* the text, as a range of the input */
  size_t line, col;           /* position of off */
  size_t comment0, ncomments; /* range in sqlsplit_result.comments */
} sqlsplit_stmt;

enum { SQLSPLIT_OK = 0, SQLSPLIT_ESYNTAX = 1, SQLSPLIT_ENOMEM = 2 };

typedef struct sqlsplit_result {
  sqlsplit_stmt *stmts;
  size_t nstmts, capstmts;
  /* Comment texts without their terminating "\n" (a "\r" before it stays). */
  sqlsplit_span *comments;
  size_t ncomments, capcomments;
  /* The "-- atlas:delimiter" directive of line 1, unescaped (NULL if none). */
  char *delimiter;
  size_t delimiter_len;
  /* Work spent resolving BEGIN blocks, and whether the linear-time budget
  ** ran out (then unresolved BEGIN blocks count as not matched). */
  size_t work;
  int exhausted;
  /* On SQLSPLIT_ESYNTAX: where (the opening token) and what, without the
  ** "line:col: " prefix. err_msg is malloc'd. */
  size_t err_off, err_line, err_col;
  char *err_msg;
} sqlsplit_result;

/*
** Split src into statements. res must be zeroed by the caller; call
** sqlsplit_free afterwards whatever the result. Returns SQLSPLIT_OK,
** SQLSPLIT_ESYNTAX (res->err_* set) or SQLSPLIT_ENOMEM. Linear time.
*/
int sqlsplit_split(const char *src, size_t len, sqlsplit_result *res);
void sqlsplit_free(sqlsplit_result *res);

/* Line and column (1-based, bytes) of offset off in src. */
void sqlsplit_linecol(const char *src, size_t len, size_t off, size_t *line,
                      size_t *col);

/*
** Atlas's directive regex ^([ -~]*)atlas:(\w+)(?: +(.+))* applied to the
** first line of [p, p+len): returns 1 and fills d on a match (the LAST
** "atlas:" with a printable-ASCII prefix wins, like the greedy regex).
*/
typedef struct sqlsplit_directive {
  size_t prefix_len;        /* the prefix is p[0, prefix_len) */
  size_t name_off, name_len;
  size_t arg_off, arg_len;  /* arg_len 0: no argument */
} sqlsplit_directive;

int sqlsplit_parse_directive(const char *p, size_t len, sqlsplit_directive *d);

/*
** The file-directive comment block (Atlas's LocalFile comments): the leading
** lines starting with "#" or "--". Returns 1 and sets *end to the offset
** just past the block when it counts (a blank line follows it, or nothing
** but whitespace does), else 0.
*/
int sqlsplit_file_comment_block(const char *src, size_t len, size_t *end);

/* Trim unicode.IsSpace runes from both ends of [*off, *off + *len). */
void sqlsplit_trim(const char *src, size_t *off, size_t *len);

/* Unescape \n, \r and \t like Atlas's setDelim; returns a malloc'd copy. */
char *sqlsplit_unescape_delimiter(const char *p, size_t len, size_t *outlen);

/*
** Go's %q rendering of [p, p+len) (strconv.Quote: \" \\ \n \xff \u00a0 ...).
** Returns its length; writes it to out unless out is NULL (no terminator).
*/
size_t sqlsplit_goquote(char *out, const char *p, size_t len);

#endif
