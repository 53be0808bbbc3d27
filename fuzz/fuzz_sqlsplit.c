/*
** fuzz_sqlsplit.c: arbitrary bytes into the statement splitter
** (bindings/sqlsplit.c) and the dbhost.sql functions built on it.
**
** Beyond "no crash, no leak, no timeout" it checks what must hold for any
** input:
**  - the splitter answers OK or ESYNTAX (never runs out of its budget into
**    something else), within its work bound;
**  - statements and their comments are ranges of the input, in order and
**    not overlapping, each text trimmed, line/col agreeing with the offset;
**  - an error position lies inside the input;
**  - through Lua: split and directives return a table or (nil, string,
**    documented code), and stmt_directives accepts every statement.
** A failed check aborts, which libFuzzer reports as a crash.
*/
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <lua.h>
#include <lauxlib.h>
#include <lualib.h>

#include "sqlsplit.h"
#include "fuzz_lua.h"

int luaopen_dbhost_sql(lua_State *L);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond)                                                       \
  do {                                                                    \
    if (!(cond)) {                                                        \
      fprintf(stderr, "check failed: %s (line %d)\n", #cond, __LINE__);   \
      abort();                                                            \
    }                                                                     \
  } while (0)

static const char checks[] =
    "local sql, text = ...\n"
    "local st, msg, code = sql.split(text, 'f.sql')\n"
    "if st then\n"
    "  local last = -1\n"
    "  for _, s in ipairs(st) do\n"
    "    assert(type(s.text) == 'string' and s.pos > last and s.line >= 1 and s.col >= 1)\n"
    "    assert(text:sub(s.pos + 1, s.pos + #s.text) == s.text, 'text is not at pos')\n"
    "    last = s.pos\n"
    "    local d = sql.stmt_directives(s)\n"
    "    assert(type(d) == 'table' and type(d.list) == 'table')\n"
    "  end\n"
    "else\n"
    "  assert(type(msg) == 'string' and msg:sub(1, 6) == 'f.sql:', msg)\n"
    "  assert(code == 'ESYNTAX' or code == 'ENOMEM', code)\n"
    "end\n"
    "local d, m2, c2 = sql.directives(text, 'f.sql')\n"
    "if d then\n"
    "  assert(type(d.list) == 'table')\n"
    "  assert(d.txmode == nil or d.txmode == 'none' or d.txmode == 'file')\n"
    "else\n"
    "  assert(c2 == 'EDIRECTIVE' and type(m2) == 'string', c2)\n"
    "end\n"
    "local q = sql.quote_ident((text:gsub('%z', '')))\n"
    "assert(q:sub(1, 1) == '\"' and q:sub(-1) == '\"')\n";

static int is_space_byte(unsigned char c) {
  return c == ' ' || (c >= '\t' && c <= '\r');
}

/* The splitter's own invariants. */
static void check_split(const char *src, size_t size) {
  sqlsplit_result r;
  memset(&r, 0, sizeof r);
  int rc = sqlsplit_split(src, size, &r);
  CHECK(rc == SQLSPLIT_OK || rc == SQLSPLIT_ESYNTAX);
  CHECK(r.work <= 9 * size + (1u << 20));
  if (rc == SQLSPLIT_ESYNTAX) {
    CHECK(r.err_msg != NULL && r.err_off <= size);
    size_t line, col;
    sqlsplit_linecol(src, size, r.err_off, &line, &col);
    CHECK(line == r.err_line && col == r.err_col);
  } else {
    size_t prev_end = 0;
    for (size_t i = 0; i < r.nstmts; i++) {
      const sqlsplit_stmt *st = &r.stmts[i];
      CHECK(st->off >= prev_end && st->off + st->len <= size);
      if (st->len > 0) {
        CHECK(!is_space_byte((unsigned char)src[st->off]));
        CHECK(!is_space_byte((unsigned char)src[st->off + st->len - 1]));
      }
      size_t line, col;
      sqlsplit_linecol(src, size, st->off, &line, &col);
      CHECK(line == st->line && col == st->col);
      CHECK(st->comment0 + st->ncomments <= r.ncomments);
      for (size_t k = 0; k < st->ncomments; k++) {
        const sqlsplit_span *c = &r.comments[st->comment0 + k];
        CHECK(c->off + c->len <= st->off && c->off >= prev_end);
      }
      prev_end = st->off + st->len;
    }
  }
  sqlsplit_free(&r);
  /* the directive helpers on the same bytes */
  sqlsplit_directive d;
  if (sqlsplit_parse_directive(src, size, &d)) {
    CHECK(d.name_len > 0 && d.name_off + d.name_len <= size);
    CHECK(d.arg_off + d.arg_len <= size && d.prefix_len < d.name_off);
  }
  size_t end;
  if (sqlsplit_file_comment_block(src, size, &end))
    CHECK(end <= size);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  check_split((const char *)data, size);
  return fuzz_run_checks(checks, "=fuzz_sqlsplit", "dbhost.sql", luaopen_dbhost_sql, data, size);
}
