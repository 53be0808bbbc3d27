/*
** fuzz_atlassum.c: arbitrary bytes into the atlas.sum parser (as_parse), the
** "atlas:sum ignore" directive and the running hash (bindings/atlassum.c).
**
** Beyond "no crash, no leak" it checks what must hold for any input:
**  - a successful parse has a 44-character total equal to line 1 (after an
**    optional "h1:"), entries on increasing lines at increasing offsets;
**  - a parse failure says EFORMAT (with a line >= 2) or EMISMATCH (line 1);
**  - comparing a parsed list with itself finds nothing, and comparing two
**    different parses yields a reason only with a sensible line.
*/
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "atlassum.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(c) do { if (!(c)) abort(); } while (0)

/* Parse text and check the invariants; returns the as_parse result. */
static int parse_checked(const char *text, size_t len, as_list *l) {
  as_error e;
  int rc = as_parse(text, len, l, &e);
  if (rc != 0) {
    CHECK(e.kind == AS_EFORMAT || e.kind == AS_EMISMATCH || e.kind == AS_ENOMEM);
    if (e.kind == AS_EFORMAT)
      CHECK(e.line >= 2 && e.pos < len);
    if (e.kind == AS_EMISMATCH)
      CHECK(e.line == 1 && e.from_parse);
    return rc;
  }
  CHECK(strlen(l->total) == AS_B64_LEN);
  const char *first = len >= 3 && memcmp(text, "h1:", 3) == 0 ? text + 3 : text;
  CHECK(memcmp(first, l->total, AS_B64_LEN) == 0);
  for (size_t i = 0; i < l->n; i++) {
    CHECK(l->v[i].pos < len && l->v[i].line >= 2);
    if (i > 0)
      CHECK(l->v[i].line > l->v[i - 1].line && l->v[i].pos > l->v[i - 1].pos);
    CHECK(strlen(as_entry_name(l, i)) <= l->v[i].name_len);
  }
  return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  const char *text = (const char *)data;
  as_list a = {0}, b = {0};
  as_error e;
  int ok_a = parse_checked(text, size, &a) == 0;
  if (ok_a)
    CHECK(as_compare(&a, &a, &e) == 0);
  /* The two halves as separate files, compared against each other. */
  size_t half = size / 2;
  int ok_b = parse_checked(text + half, size - half, &b) == 0;
  if (ok_a && ok_b && as_compare(&a, &b, &e) != 0) {
    CHECK(e.kind == AS_EMISMATCH);
    if (e.reason != AS_REASON_NONE)
      CHECK(e.line >= 2 && e.line <= a.n + 2);
  }
  /* The bytes as a migration file's content: the directive and the hash. */
  (void)as_sum_ignored(text, size);
  as_run r = {0};
  as_list c = {0};
  if (as_run_init(&r) == 0) {
    CHECK(as_run_add(&r, &c, "1.sql", 5, text, size, &e) == 0);
    CHECK(c.n == (as_sum_ignored(text, size) ? 0u : 1u));
    CHECK(as_list_total(&c) == 0);
  }
  as_run_free(&r);
  as_list_free(&a);
  as_list_free(&b);
  as_list_free(&c);
  return 0;
}
