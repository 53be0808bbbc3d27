-- replay_templates_pg_spec.lua: on a dev server that outlives the run (a postgres:// dev
-- URL, here the ctest server), a replayed migration directory is kept as a template
-- database, and a later replay of the directory with a file added starts from a clone of it
-- and runs only the new file (dbhost.migrate.replay.onto_dev through dir:// sources).
local source = require "dbhost.schema.source"
local replay = require "dbhost.migrate.replay"
local fs = require "dbhost.fs"
local pg = require "dbhost.pg"

local URL = assert(os.getenv("DBHOST_TEST_DATABASE_URL"), "DBHOST_TEST_DATABASE_URL is not set")

local function templates(admin)
  local out = {}
  for _, r in ipairs(assert(admin:exec("SELECT datname FROM pg_database WHERE datistemplate AND datname LIKE $1 "
      .. "ORDER BY oid DESC", replay.TEMPLATE_PREFIX .. "%")).rows) do out[#out + 1] = r.datname end
  return out
end

local function drop_template(admin, name)
  local q = admin:escape_identifier(name)
  admin:exec("ALTER DATABASE " .. q .. " IS_TEMPLATE false")
  admin:exec("DROP DATABASE IF EXISTS " .. q .. " WITH (FORCE)")
end

describe("replay templates on a persistent dev server", function()
  local admin, dir, made = nil, nil, {}
  setup(function()
    admin = assert(pg.connect(URL))
    dir = assert(fs.mkdtemp("dbhost-replay-tpl-"))
  end)
  teardown(function()
    for name in pairs(made) do drop_template(admin, name) end
    admin:close()
    fs.rmtree(dir)
  end)

  it("replays only the files after the longest prefix kept as a template", function()
    -- unique content: neither the model cache nor an earlier run's template answers
    local tag = ("%d_%d"):format(os.time(), math.random(1, 1e9))
    assert(fs.write(dir .. "/20260101000000_a.sql", "-- run " .. tag .. "\nCREATE TABLE public.a (id int);\n"))
    assert(fs.write(dir .. "/20260102000000_b.sql", "CREATE TABLE public.b (id int);\n"))
    local before = {}
    for _, n in ipairs(templates(admin)) do before[n] = true end
    local m, info = assert(source.load("dir://" .. dir, { dev_url = URL }))
    assert.is_nil(info.reused)
    assert.truthy(m.tables["public.b"])
    local new
    for _, n in ipairs(templates(admin)) do
      if not before[n] then new = n end
    end
    assert.truthy(new, "no template was kept")
    made[new] = true
    -- a table put into the template by hand shows that the next replay starts from it
    local tconn = assert(pg.connect((URL:gsub("^(postgres[a-z]*://[^/?]*/)[^?]*", "%1" .. new))))
    assert(tconn:exec("CREATE TABLE public.marker (x int)"))
    tconn:close()
    assert(fs.write(dir .. "/20260103000000_c.sql", "CREATE TABLE public.c (id int);\n"))
    local m2, info2 = assert(source.load("dir://" .. dir, { dev_url = URL }))
    assert.are.equal("2 of 3 files from a template", info2.reused)
    assert.truthy(m2.tables["public.c"])
    assert.truthy(m2.tables["public.marker"])
    for _, n in ipairs(templates(admin)) do
      if not before[n] then made[n] = true end
    end
    -- an edited file changes every later prefix: nothing is reused from the edited point on
    assert(fs.write(dir .. "/20260101000000_a.sql", "-- run " .. tag .. " edited\nCREATE TABLE public.a (id int);\n"))
    local m3, info3 = assert(source.load("dir://" .. dir, { dev_url = URL }))
    assert.is_nil(info3.reused)
    assert.is_nil(m3.tables["public.marker"])
    for _, n in ipairs(templates(admin)) do
      if not before[n] then made[n] = true end
    end
  end)
end)
