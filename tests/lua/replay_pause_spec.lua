-- replay_pause_spec.lua: dbhost.schema.source's dir:// load with opts.pause, which
-- check-migrations uses to trace the new files on the replay's own throwaway server:
-- pause.at(dev) sees the dev database after the files up to pause.version (before the
-- first file when nil), trace.copy_dev copies that state (or names the untouched
-- `postgres` database when no file ran), and the replay then ends where one unpaused
-- replay ends (same model), txmode-none files included. A local throwaway server per load.
local fs = require "dbhost.fs"
local source = require "dbhost.schema.source"
local trace = require "dbhost.linter.trace"
local connect = require "dbhost.db.connect"
local diff = require "dbhost.schema.diff"

local FILES = {
  ["20260101000000_one.sql"] = "CREATE TABLE one (id bigint PRIMARY KEY, note text);\n",
  ["20260102000000_two.sql"] = "CREATE TABLE two (id bigint PRIMARY KEY, one_id bigint REFERENCES one (id));\n",
  ["20260103000000_three.sql"] = "-- atlas:txmode none\n\nCREATE TABLE three (id int);\n"
    .. "CREATE INDEX CONCURRENTLY three_id_idx ON three (id);\n",
}

local dir

local function tables_of(url)
  local conn = assert(connect.open(url))
  local res = assert(conn:exec([[SELECT string_agg(relname, ',' ORDER BY relname) AS t FROM pg_class c
    JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'public' AND c.relkind = 'r']]))
  conn:close()
  return res.rows[1].t or ""
end

-- source.load of the directory with a pause at version (nil: before the first file); returns the
-- model, the tables the copy held and those of the dev database itself after the replay
local function load_paused(version, empty)
  local copied, err
  local m, info = source.load("dir://" .. dir, { dev_url = "local://postgres/15/dev", keep = true, pause = {
    version = version,
    at = function(dev)
      local url
      url, err = trace.copy_dev(dev, empty)
      copied = url and tables_of(url)
    end,
  } })
  assert(m, info)
  local after = tables_of(info.dev.url)
  info.conn:close()
  info.dev:close()
  return m, copied, after, err
end

describe("a paused dir:// replay", function()
  local whole
  setup(function()
    dir = assert(fs.mkdtemp("dbhost-pause-spec-"))
    for name, text in pairs(FILES) do assert(fs.write(dir .. "/" .. name, text)) end
    local m, info = source.load("dir://" .. dir, { dev_url = "local://postgres/15/dev", keep = true })
    assert(m, info)
    info.conn:close()
    info.dev:close()
    whole = m
  end)
  teardown(function() fs.rmtree(dir) end)

  it("copies the state after the files up to the pause and ends where one replay ends", function()
    local m, copied, after, err = load_paused("20260102000000")
    assert.is_nil(err)
    assert.are.equal("one,two", copied)
    assert.are.equal("one,three,two", after)
    assert.are.equal(0, #assert(diff.plan(whole, m)).statements)
  end)

  it("before the first file, the server's untouched postgres database is that state", function()
    local m, copied, after, err = load_paused(nil, true)
    assert.is_nil(err)
    assert.are.equal("", copied)
    assert.are.equal("one,three,two", after)
    assert.are.equal(0, #assert(diff.plan(whole, m)).statements)
  end)

  it("before the first file without the shortcut, a copy of the empty dev database", function()
    local _, copied, _, err = load_paused(nil, false)
    assert.is_nil(err)
    assert.are.equal("", copied)
  end)

  it("a dev database that is not on a throwaway server of this run is not copied", function()
    local url, err = trace.copy_dev({ url = "postgres://h/db" })
    assert.is_nil(url)
    assert.matches("not on a throwaway server", err)
  end)
end)
