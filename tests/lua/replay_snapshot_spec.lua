-- replay_snapshot_spec.lua: the replay snapshot of the default throwaway dev server
-- (local://postgres). A replay that took a second or more leaves the server's data
-- directory, with the template of the replayed directory, in the cache; the next run's
-- replay starts from it and runs only the files after the longest prefix kept there. Real
-- servers (run as the server user when the suite runs as root, as in CI); every run is its
-- own dbhost process with this spec's own cache and runtime folders.
local helper = require "helper"
local fs = require "dbhost.fs"
local proc = require "dbhost.proc"

-- load DIR: replay the directory through the dir:// source, print what was reused and the
-- tables. mark: start a server from the snapshot, add public.marker to every replay
-- template in it and store it again (so a later replay shows where it started from).
local SCRIPT = [[
local mode = arg[1]
if mode == "load" then
  local source = require "dbhost.schema.source"
  local m, info = source.load("dir://" .. arg[2], { dev_url = "local://postgres" })
  if not m then print("error: " .. tostring(info)) return end
  local names = {}
  for k in pairs(m.tables) do names[#names + 1] = k:gsub("^public%.", "") end
  table.sort(names)
  print(("reused=%s tables=%s"):format(tostring(info.reused), table.concat(names, ",")))
elseif mode == "mark" then
  local server = require "dbhost.db.server"
  local pg = require "dbhost.pg"
  local srv = assert(server.start { snapshot = true })
  assert(srv.snapshot, "the server did not start from a snapshot")
  local admin = assert(pg.connect((srv.url:gsub("///postgres", "///template1"))))
  local names = {}
  for _, r in ipairs(assert(admin:exec("SELECT datname FROM pg_database WHERE datname LIKE 'dbhost%'")).rows) do
    local c = assert(pg.connect((srv.url:gsub("///postgres", "///" .. r.datname))))
    assert(c:exec("CREATE TABLE public.marker (x int)"))
    c:close()
    names[#names + 1] = r.datname
  end
  admin:close()
  assert(srv:store_snapshot(names))
  print("marked " .. #names)
elseif mode == "tidy" then
  local server = require "dbhost.db.server"
  local _, major = server.find_binaries()
  print((server.snapshot(major) or "none"):match("([^/]*)/data$"))
elseif mode == "probe" then
  -- is the snapshot used for a directory whose templates it holds, for one it does not?
  local server = require "dbhost.db.server"
  local replay = require "dbhost.migrate.replay"
  local d = assert(require("dbhost.migrate.dir").open(arg[2]))
  local _, major = server.find_binaries()
  print(("mine=%s other=%s"):format(server.snapshot(major, replay.template_names(d)) and "used" or "not used",
    server.snapshot(major, { replay.TEMPLATE_PREFIX .. "0000" }) and "used" or "not used"))
end
]]

describe("replay snapshot of the throwaway dev server", function()
  local root, dir, cache
  setup(function()
    -- on tmpfs when there is one, as the default runtime folder is (copies of big data
    -- directories are slow on some disks)
    local shm = fs.stat("/dev/shm")
    root = assert(fs.mkdtemp("dbhost-snapshot-spec-", shm and shm.type == "directory" and "/dev/shm" or nil))
    assert(fs.chmod(root, tonumber("711", 8)))   -- the server user passes through to its runtime
    assert(fs.write(root .. "/s.lua", SCRIPT))
    dir = root .. "/migrations"
    cache = root .. "/cache"
    assert(fs.mkdir(dir))
  end)
  teardown(function() fs.rmtree(root) end)

  local function run(mode, env)
    env = env or {}
    local e = { DBHOST_CACHE_DIR = cache, DBHOST_RUNTIME_DIR = root .. "/runtime", DBHOST_NO_CACHE = false }
    for k, v in pairs(env) do e[k] = v end
    local r = assert(proc.run { argv = { helper.dbhost, "lua", root .. "/s.lua", mode, dir }, env_add = e, timeout = 120 })
    assert.are.equal(0, r.status, r.stderr .. r.stdout)
    return (r.stdout:gsub("%s+$", ""))
  end
  -- the complete snapshots in the cache
  local function snapshots()
    local out = {}
    for _, n in ipairs(fs.list(cache .. "/snapshots") or {}) do
      if n:match("^pg%d+%-") then out[#out + 1] = n end
    end
    return out
  end
  local function write(name, text) assert(fs.write(dir .. "/" .. name, text)) end
  -- a file that takes over a second: worth a snapshot
  local SLOW = "SELECT pg_sleep(1.1);\n"

  it("keeps no snapshot with DBHOST_NO_CACHE=1, nor for a quick replay", function()
    write("20260101000000_a.sql", SLOW .. "CREATE TABLE public.a (id int);\n")
    assert.are.equal("reused=nil tables=a", run("load", { DBHOST_NO_CACHE = "1" }))
    assert.are.same({}, snapshots())
    fs.remove(dir .. "/20260101000000_a.sql")
    write("20260101000000_q.sql", "CREATE TABLE public.q (id int);\n")
    assert.are.equal("reused=nil tables=q", run("load"))
    assert.are.same({}, snapshots())
    fs.remove(dir .. "/20260101000000_q.sql")
  end)

  it("replays only the files after the longest prefix kept in the snapshot", function()
    write("20260101000000_a.sql", SLOW .. "CREATE TABLE public.a (id int);\n")
    assert.are.equal("reused=nil tables=a", run("load"))
    local snaps = snapshots()
    assert.are.equal(1, #snaps)
    local data = cache .. "/snapshots/" .. snaps[1] .. "/data"
    -- root's own copy (as root the server's files were the server user's)
    assert.are.equal(proc.uid(), fs.stat(data, true).uid)
    assert.are.equal(proc.uid(), fs.stat(data .. "/PG_VERSION", true).uid)
    assert.are.equal("marked 1", run("mark"))
    -- a second slow file: the replay starts from the template of a (the marker) and is kept
    write("20260102000000_b.sql", SLOW .. "CREATE TABLE public.b (id int);\n")
    assert.are.equal("reused=1 of 2 files from a template (kept in the cache by an earlier run) tables=a,b,marker",
      run("load"))
    -- one quick file added: only it runs (the others are in the template: 2 of 3)
    write("20260103000000_c.sql", "CREATE TABLE public.c (id int);\n")
    assert.are.equal("reused=2 of 3 files from a template (kept in the cache by an earlier run) "
      .. "tables=a,b,c,marker", run("load"))
    -- an edited b: the prefix before it (a) is the longest left
    write("20260102000000_b.sql", SLOW .. "CREATE TABLE public.b2 (id int);\n")
    assert.are.equal("reused=1 of 3 files from a template (kept in the cache by an earlier run) "
      .. "tables=a,b2,c,marker", run("load"))
    -- an edited a: nothing is reused
    write("20260101000000_a.sql", SLOW .. "CREATE TABLE public.a2 (id int);\n")
    assert.are.equal("reused=nil tables=a2,b2,c", run("load"))
    -- the snapshot is not even copied for a directory none of whose prefixes it holds
    assert.are.equal("mine=used other=not used", run("probe"))
  end)

  it("ignores and replaces a half or corrupt snapshot", function()
    local before = snapshots()
    assert.is_true(#before >= 1)
    local kind = assert(before[1]:match("^(pg%d+%-[^-]+)%-"))   -- pg<major>-<recipe>
    -- newer by name than the good one: without a manifest (a half copy), it is removed
    local half = cache .. "/snapshots/" .. kind .. "-9999999990-1"
    assert(fs.mkdir(half))
    assert(fs.mkdir(half .. "/data"))
    assert(fs.write(half .. "/data/PG_VERSION", "15\n"))
    -- a staging folder (a snapshot being written) is never read; a dead writer's is removed
    local staging = cache .. "/snapshots/.tmp-999999999-1-abcdef"
    assert(fs.copytree(cache .. "/snapshots/" .. before[#before], staging))
    assert(fs.remove(staging .. "/data/global/pg_control"))
    -- one of an older recipe of the golden copy is never used again: removed
    local old = cache .. "/snapshots/" .. kind:match("^(pg%d+)") .. "-v0-1795000000-1"
    assert(fs.copytree(cache .. "/snapshots/" .. before[#before], old))
    write("20260104000000_d.sql", "CREATE TABLE public.d (id int);\n")
    assert.are.equal("reused=3 of 4 files from a template (kept in the cache by an earlier run) "
      .. "tables=a2,b2,c,d", run("load"))
    assert.is_nil(fs.stat(half))
    assert.is_nil(fs.stat(old))
    assert.is_nil(fs.stat(staging))
    -- a complete-looking copy the server cannot start from: dropped, the pristine copy is used
    local newest = cache .. "/snapshots/" .. before[#before]
    local bad = cache .. "/snapshots/" .. kind .. "-9999999991-1"
    assert(fs.copytree(newest, bad))
    assert(fs.remove(bad .. "/data/global/pg_control"))
    write("20260105000000_e.sql", "CREATE TABLE public.e (id int);\n")
    assert.are.equal("reused=nil tables=a2,b2,c,d,e", run("load"))
    assert.is_nil(fs.stat(bad))
    -- and replaced: the full replay took over a second, so a new snapshot was kept, which
    -- the next run starts from
    write("20260106000000_f.sql", "CREATE TABLE public.f (id int);\n")
    assert.are.equal("reused=5 of 6 files from a template (kept in the cache by an earlier run) "
      .. "tables=a2,b2,c,d,e,f", run("load"))
  end)

  it("removes a superseded snapshot once its successor has been in place for two minutes", function()
    local any = snapshots()[1]
    local kind = assert(any:match("^(pg%d+%-[^-]+)%-"))
    local other = root .. "/cache2"
    assert(fs.mkdir(other))
    assert(fs.mkdir(other .. "/snapshots"))
    local now = os.time()
    for _, age in ipairs { 300, 200 } do
      assert(fs.copytree(cache .. "/snapshots/" .. any, ("%s/snapshots/%s-%d-1"):format(other, kind, now - age)))
    end
    local newest = ("%s-%d-1"):format(kind, now - 200)
    assert.are.equal(newest, run("tidy", { DBHOST_CACHE_DIR = other }))
    assert.is_nil(fs.stat(("%s/snapshots/%s-%d-1"):format(other, kind, now - 300)))
    -- placed a minute ago: the one before it stays (a run may still be copying it)
    assert(fs.copytree(cache .. "/snapshots/" .. any, ("%s/snapshots/%s-%d-1"):format(other, kind, now - 60)))
    assert.are.equal(("%s-%d-1"):format(kind, now - 60), run("tidy", { DBHOST_CACHE_DIR = other }))
    assert.truthy(fs.stat(other .. "/snapshots/" .. newest))
  end)
end)
