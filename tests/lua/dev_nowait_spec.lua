-- dev_nowait_spec.lua: a throwaway dev server opened without waiting (devdb.open with
-- { nowait = true }, as `schema diff` does while it reads both databases) is spawned at once,
-- accepts connections once dev:ready() (or connect.dev) returns, and leaves nothing behind
-- when it is closed before it was ever used. Real servers, run as the server user when the
-- suite runs as root; each case is its own dbhost process with its own runtime folder.
local helper = require "helper"
local fs = require "dbhost.fs"
local proc = require "dbhost.proc"

local SCRIPT = [[
local devdb = require "dbhost.db.dev"
local connect = require "dbhost.db.connect"
local proc = require "dbhost.proc"
local dev = assert(devdb.open("local://postgres", { nowait = true }))
local srv = dev.server
print("pending=" .. tostring(dev.pending ~= nil))
if arg[1] == "use" then
  local conn = assert(connect.dev(dev))
  print("answer=" .. conn:exec("SELECT 40 + 2 AS x").rows[1].x)
  print("pending=" .. tostring(dev.pending ~= nil))
  conn:close()
end
local pid = srv.process:pid()
dev:close()
print("alive=" .. tostring(proc.alive(pid)))
print("dir=" .. tostring(require("dbhost.fs").stat(srv.dir) ~= nil))
]]

describe("a dev database opened without waiting", function()
  local root
  setup(function()
    local shm = fs.stat("/dev/shm")
    root = assert(fs.mkdtemp("dbhost-nowait-spec-", shm and shm.type == "directory" and "/dev/shm" or nil))
    assert(fs.chmod(root, tonumber("711", 8)))   -- the server user passes through to its runtime
    assert(fs.write(root .. "/s.lua", SCRIPT))
  end)
  teardown(function() fs.rmtree(root) end)

  local function run(mode)
    local r = assert(proc.run { argv = { helper.dbhost, "lua", root .. "/s.lua", mode },
      env_add = { DBHOST_RUNTIME_DIR = root .. "/runtime-" .. mode }, timeout = 120 })
    assert.are.equal(0, r.status, r.stderr .. r.stdout)
    return r.stdout
  end

  it("returns before the server is ready and connects once it is", function()
    assert.are.equal("pending=true\nanswer=42\npending=false\nalive=false\ndir=false\n", run("use"))
  end)

  it("stops a server that was never used and removes its files", function()
    assert.are.equal("pending=true\nalive=false\ndir=false\n", run("close"))
  end)
end)
