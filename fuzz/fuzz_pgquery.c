/*
** fuzz_pgquery.c: arbitrary bytes into dbhost.pgquery (bindings/pgquery.c,
** over libpg_query).
**
** Beyond "no crash, no leak, no timeout" it checks, for any input, that each
** function answers either a string or (nil, string, "ESYNTAX", pos, byte) with
** pos an integer between 0 and the input's length plus one (a character is at
** least a byte) and byte a 1-based offset within the input or just past it, and that
** parse and fingerprint agree on whether the input is valid SQL.
** A failed check aborts, which libFuzzer reports as a crash.
*/
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include <lua.h>
#include <lauxlib.h>
#include <lualib.h>
#include "fuzz_lua.h"

int luaopen_dbhost_pgquery(lua_State *L);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char checks[] =
    "local q, text = ...\n"
    "local function check(fn)\n"
    "  local a, msg, code, pos, byte = fn(text)\n"
    "  if a ~= nil then assert(type(a) == 'string') return true end\n"
    "  assert(type(msg) == 'string' and code == 'ESYNTAX', tostring(code))\n"
    "  assert(math.type(pos) == 'integer' and pos >= 0 and pos <= #text + 1, tostring(pos))\n"
    "  assert(math.type(byte) == 'integer' and byte >= 1 and byte <= #text + 1, tostring(byte))\n"
    "  return false\n"
    "end\n"
    "local p = check(q.parse)\n"
    "local f = check(q.fingerprint)\n"
    "check(q.normalize)\n"
    "assert(p == f, 'parse and fingerprint disagree')\n";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size > 4096)
    return 0;  /* the parser is PostgreSQL's; long inputs only slow the run */
  return fuzz_run_checks(checks, "=checks", "dbhost.pgquery", luaopen_dbhost_pgquery, data, size);
}
