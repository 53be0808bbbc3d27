-- host_spec.lua: the dbhost binary loads Lua C modules (lua-cjson) from the
-- folder the build found, whatever LUA_CPATH says.
local helper = require "helper"
local proc = require "dbhost.proc"
local fs = require "dbhost.fs"

describe("the dbhost host", function()
  it("finds lua-cjson when LUA_CPATH leaves the system folder out", function()
    local dir = assert(fs.mkdtemp("dbhost-host-spec"))
    local script = dir .. "/cjson.lua"
    assert(fs.write(script, 'local cjson = require "cjson"\nio.write(cjson.encode({1, "a"}), " ", package.cpath)\n'))
    local r = assert(proc.run { argv = { helper.dbhost, "lua", script },
      env_add = { LUA_CPATH_5_4 = "/nonexistent/?.so", LUA_CPATH = "/nonexistent/?.so" } })
    fs.rmtree(dir)
    assert.are.equal(0, r.status, r.stderr)
    local encoded, cpath = r.stdout:match("^(%S+) (.*)$")
    assert.are.equal('[1,"a"]', encoded)
    assert.matches("^/nonexistent/%?%.so;.+/%?%.so$", cpath)
  end)
end)
