-- replay_cache_spec.lua: dbhost.migrate.replay.cached_model, the replay cache (no server):
-- a model is built once per key and read back after, a failed build is not stored, the
-- cache keeps its newest 40 models, and DBHOST_NO_CACHE turns it off. Each case runs in
-- its own dbhost process with its own DBHOST_CACHE_DIR.
local helper = require "helper"
local fs = require "dbhost.fs"
local proc = require "dbhost.proc"

local SCRIPT = [[
local replay = require "dbhost.migrate.replay"
local model = require "dbhost.schema.model"
local builds = 0
local function build(tag)
  return function()
    builds = builds + 1
    if tag == "fail" then return nil, "it failed", "EX" end
    local m = model.new()
    m.tables["public." .. tag] = { schema = "public", name = tag, columns = { id = { name = "id", type = "integer" } },
                                   constraints = {}, triggers = {}, policies = {}, parents = {}, options = {} }
    return m, { kind = "test" }
  end
end
local mode = arg[1]
if mode == "hit" then
  local a, ia = replay.cached_model("replay", { "dev", "total-1" }, build("t"))
  local b, ib = replay.cached_model("replay", { "dev", "total-1" }, build("t"))
  local c = replay.cached_model("replay", { "dev", "total-2" }, build("u"))
  print(builds, ia.cached and "cached" or "built", ib.cached and "cached" or "built",
    b.tables["public.t"].columns.id.type, c.tables["public.u"] and "u" or "?", a.tables["public.t"] and "t" or "?")
elseif mode == "fail" then
  local m, err, code = replay.cached_model("replay", { "dev", "bad" }, build("fail"))
  local m2 = replay.cached_model("replay", { "dev", "bad" }, build("fail"))
  print(builds, tostring(m), err, code, tostring(m2))
elseif mode == "prune" then
  for i = 1, 45 do replay.cached_model("schema", { "dev", "text " .. i }, build("t" .. i)) end
  print(builds)
end
]]

local function run(mode, env)
  local dir = assert(fs.mkdtemp("dbhost-cache-spec-"))
  assert(fs.write(dir .. "/s.lua", SCRIPT))
  env = env or {}
  env.DBHOST_CACHE_DIR = dir .. "/cache"
  local r = assert(proc.run { argv = { helper.dbhost, "lua", dir .. "/s.lua", mode }, env_add = env, timeout = 60 })
  assert.are.equal(0, r.status, r.stderr)
  local models = fs.list(dir .. "/cache/models") or {}
  fs.rmtree(dir)
  return r.stdout, #models
end

describe("replay cache", function()
  it("builds a model once per key and reads it back", function()
    local out, n = run("hit")
    assert.are.equal("2\tbuilt\tcached\tinteger\tu\tt\n", out)
    assert.are.equal(2, n)
  end)

  it("does not store a failed build", function()
    local out, n = run("fail")
    assert.are.equal("2\tnil\tit failed\tEX\tnil\n", out)
    assert.are.equal(0, n)
  end)

  it("keeps the newest 40 models", function()
    local out, n = run("prune")
    assert.are.equal("45\n", out)
    assert.are.equal(40, n)
  end)

  it("is off with DBHOST_NO_CACHE=1", function()
    local out, n = run("hit", { DBHOST_NO_CACHE = "1" })
    assert.are.equal("3\tbuilt\tbuilt\tinteger\tu\tt\n", out)
    assert.are.equal(0, n)
  end)
end)
