/*
** fuzz_yaml.c: arbitrary bytes into dbhost.yaml's load, locate and
** set_scalar (bindings/yaml.c), at the CloudFormation MigrationHash path and
** at a short path that random inputs reach more often.
**
** Beyond "no crash, no leak" it checks, in Lua, what must hold for any input:
**  - load and locate agree on whether the text parses (EYAML from both);
**  - failures carry one of the documented codes and a string message;
**  - a located span lies inside the text and holds the scalar's source;
**  - a successful set_scalar keeps every byte before and after the span,
**    re-locates to the new value and loads; a refusal says ESTYLE.
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

int luaopen_dbhost_yaml(lua_State *L);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char checks[] =
    "local yaml, text = ...\n"
    "local codes = { EYAML = true, ENOPATH = true, ENOTSCALAR = true }\n"
    "local doc, lmsg, lcode = yaml.load(text, 'f.yaml')\n"
    "assert(doc ~= nil or (type(lmsg) == 'string' and lcode == 'EYAML'), lcode)\n"
    "for _, path in ipairs({ 'Resources.DBSchemaMigration.Properties.MigrationHash', 'a', '1.a' }) do\n"
    "  local loc, msg, code = yaml.locate(text, path, 'f.yaml')\n"
    "  if not loc then\n"
    "    assert(type(msg) == 'string' and codes[code], code)\n"
    "    assert((code == 'EYAML') == (doc == nil), 'load and locate disagree')\n"
    "  else\n"
    "    assert(doc ~= nil, 'locate found a scalar in text load rejects')\n"
    "    assert(loc.start >= 1 and loc.stop >= loc.start - 1 and loc.stop <= #text)\n"
    "    for _, new in ipairs({ 'abc123', '0123', 'it\\'s \"q\" #x', '', 'a: b', 'x\\n\\t\\1' }) do\n"
    "      local out, m2, c2 = yaml.set_scalar(text, path, new, 'f.yaml')\n"
    "      if out then\n"
    "        if new ~= loc.value then\n"
    "          assert(out:sub(1, loc.start - 1) == text:sub(1, loc.start - 1), 'prefix changed')\n"
    "          local suffix = text:sub(loc.stop + 1)\n"
    "          assert(out:sub(#out - #suffix + 1) == suffix, 'suffix changed')\n"
    "        else\n"
    "          assert(out == text)\n"
    "        end\n"
    "        local again = assert(yaml.locate(out, path))\n"
    "        assert(again.value == new, 'new value does not read back')\n"
    "        assert(yaml.load(out))\n"
    "      else\n"
    "        assert(c2 == 'ESTYLE' and type(m2) == 'string', c2)\n"
    "      end\n"
    "    end\n"
    "  end\n"
    "end\n";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  return fuzz_run_checks(checks, "=fuzz_yaml", "dbhost.yaml", luaopen_dbhost_yaml, data, size);
}
