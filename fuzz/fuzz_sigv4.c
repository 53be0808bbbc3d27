/*
** fuzz_sigv4.c: arbitrary bytes into dbhost.sigv4's sign (bindings/sigv4.c),
** which canonicalises paths (dot segments, repeated slashes), query strings
** (percent-decoding, re-encoding, sorting) and header values (folding).
**
** The input is split at newlines into path, query, body and header lines
** ("name:value", kept when the name is an HTTP token). Checks, in Lua, for
** both the header and the query form:
**  - the signature is 64 lowercase hex digits and signing again gives it again;
**  - the canonical request starts with the method and the canonical path, which
**    holds only unreserved characters, '%XX' escapes and '/';
**  - the signed headers are lowercase, sorted and unique;
**  - the presigned query ends with X-Amz-Signature=<the signature>.
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

int luaopen_dbhost_sigv4(lua_State *L);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char checks[] =
    "local sigv4, input = ...\n"
    "local lines = {}\n"
    "for l in (input .. '\\n'):gmatch('([^\\n]*)\\n') do lines[#lines + 1] = l end\n"
    "local headers = { { 'Host', 'example.amazonaws.com' } }\n"
    "for i = 4, #lines do\n"
    "  local n, v = lines[i]:match('^([^:]+):(.*)$')\n"
    "  if n and n:lower() ~= 'x-amz-date' and n:match(\"^[%w!#$%%&'*+%-.^_`|~]+$\") then\n"
    "    headers[#headers + 1] = { n, v }\n"
    "  end\n"
    "end\n"
    "for _, mode in ipairs({ 'header', 'query' }) do\n"
    "  local req = { method = 'POST', path = lines[1], query = lines[2] or '', body = lines[3] or '',\n"
    "    headers = headers, access_key = 'AKID', secret_key = 'secret', session_token = 'tok',\n"
    "    region = 'us-east-1', service = 'svc', time = 1440938160, mode = mode,\n"
    "    normalize = #input % 2 == 0, sign_body = #input % 3 == 0 }\n"
    "  local r = sigv4.sign(req)\n"
    "  assert(r.signature:match('^%x+$') and #r.signature == 64 and r.signature == r.signature:lower())\n"
    "  assert(sigv4.sign(req).signature == r.signature, 'not deterministic')\n"
    "  local m, p = r.canonical_request:match('^([^\\n]*)\\n([^\\n]*)\\n')\n"
    "  assert(m == 'POST', 'method')\n"
    "  assert(p:sub(1, 1) == '/' and not p:gsub('%%%x%x', ''):find('[^%w%-%._~/]'), 'path: ' .. p)\n"
    "  local prev\n"
    "  for h in r.signed_headers:gmatch('[^;]+') do\n"
    "    assert(h == h:lower(), 'not lowercase')\n"
    "    assert(prev == nil or prev < h, 'not sorted or not unique')\n"
    "    prev = h\n"
    "  end\n"
    "  if mode == 'query' then\n"
    "    assert(r.query:sub(-(#r.signature + 16)) == 'X-Amz-Signature=' .. r.signature)\n"
    "  end\n"
    "end\n";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  return fuzz_run_checks(checks, "=fuzz_sigv4", "dbhost.sigv4", luaopen_dbhost_sigv4, data, size);
}
