-- bundle_spec.lua: what dbhost bundle-lambda checks in the layer (dbhost.aws.bundle).
local bundle = require "dbhost.aws.bundle"
local fs = require "dbhost.fs"
local proc = require "dbhost.proc"
local helper = require "helper"

describe("dbhost.aws.bundle", function()
  local tmp
  setup(function() tmp = assert(fs.mkdtemp("bundle-spec")) end)
  teardown(function() fs.rmtree(tmp) end)

  local function compile(name, source)
    assert(fs.write(tmp .. "/" .. name .. ".c", source))
    local res = assert(proc.run { argv = { "cc", "-o", tmp .. "/" .. name, tmp .. "/" .. name .. ".c" } })
    assert.are.equal(0, res.status, res.stderr)
    return tmp .. "/" .. name
  end

  it("names the file's symbols that need a glibc newer than 2.34", function()
    -- arc4random came with glibc 2.36 (the build machine's may be newer than AL2023's 2.34)
    local exe = compile("new", "#include <stdlib.h>\nint main(void) { return (int)(arc4random() & 1); }\n")
    assert.are.same({ { symbol = "arc4random", version = "GLIBC_2.36" } }, bundle.glibc_too_new(exe))
  end)

  it("lets through what AL2023's glibc has", function()
    local exe = compile("old", "#include <stdio.h>\nint main(void) { puts(\"hi\"); return 0; }\n")
    assert.are.same({}, bundle.glibc_too_new(exe))
    assert.are.same({}, bundle.glibc_too_new(helper.dbhost))
  end)

  it("lists dbhost's shared libraries without glibc's own", function()
    local names = {}
    for _, l in ipairs(bundle.shared_libraries { helper.dbhost }) do names[l.soname] = l.path end
    assert.is_string(names["libpq.so.5"])
    assert.is_string(names["libyaml-0.so.2"])
    assert.is_string(names["libcurl.so.4"])
    for glibc in pairs(bundle.GLIBC_LIBS) do assert.is_nil(names[glibc], glibc) end
  end)
end)
