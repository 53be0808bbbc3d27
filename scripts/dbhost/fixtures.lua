--- dbhost.fixtures: a real, isolated PostgreSQL for busted test suites.
--
--   local fixtures = require "dbhost.fixtures"
--
--   describe("accounts", function()
--     local db = fixtures.session()          -- one connection; each test rolled back
--     it("...", function() accounts.create_account(db, "a@example.com") end)
--   end)
--
--   describe("signup", function()
--     local maker = fixtures.session_maker() -- code under test opens connections: maker()
--     it("...", function() signup.run(maker, "a@example.com") end)
--   end)
--
-- Options (both functions; all optional):
--   migrations = DIR     migration directory (default: migration.dir of atlas.hcl, else "migrations")
--   schema = FILE        build the template from a desired-schema file instead
--   server = "auto"      "auto": DBHOST_TEST_DATABASE_URL when set, else a throwaway server;
--                        "throwaway": always start one; "url": an existing server (url = URL)
--   url = URL            the existing server (any database on it; CREATEDB rights needed)
--   major = N            PostgreSQL major version of a throwaway server (default: newest)
--   autocommit = true    session: a failed statement outside BEGIN undoes only itself
--   isolation = "truncate" | "clone"   session maker: how a test's commits are removed
--   on_leak = "error" | "warn"         a test that leaks a transaction or connection
--
-- The session server is started once per test run (per process and server setting;
-- kept across spec files in the debug registry, which busted's insulation does not
-- reset) and stopped when busted exits, also after failures; a killed run's server
-- is removed by the next one (dbhost.db.server's janitor, and for an existing server the
-- databases of dead runs are dropped). A template database built from the migrations
-- is cloned for each process, so several busted processes never share data.
--
-- A template that cannot be built (a failing migration), or a server that cannot be
-- started (no binaries), stops the run at once with the message: every test would fail.
--
-- Lower level, without busted: fixtures.cluster(opts) -> cluster, template
-- (see dbhost.fixtures.cluster), dbhost.fixtures.session and dbhost.fixtures.maker.
local errors = require "dbhost.errors"
local cluster_mod = require "dbhost.fixtures.cluster"
local template_mod = require "dbhost.fixtures.template"
local session_mod = require "dbhost.fixtures.session"
local maker_mod = require "dbhost.fixtures.maker"

local M = {}

-- State shared by every copy of this module in the process: busted reloads modules
-- for each spec file (insulation), the registry survives that.
local function state()
  local reg = debug.getregistry()
  local st = reg["dbhost.fixtures"]
  if not st then
    st = { clusters = {}, order = {}, hooked = setmetatable({}, { __mode = "k" }) }
    reg["dbhost.fixtures"] = st
  end
  return st
end

-- The migration directory atlas.hcl names, else "migrations".
local function default_migrations()
  local ok, ws = pcall(function() return require("dbhost.project.workspace").open {} end)
  if ok and ws and ws.dir then return ws.dir end
  return "migrations"
end

local function server_key(opts)
  return table.concat({ opts.server or "auto", opts.url or "", tostring(opts.major or "") }, "\0")
end

--- fixtures.cluster(opts) -> cluster, template_name: the process's session server (started
-- or connected once) and the template for opts (built once per migration set)
function M.cluster(opts)
  opts = opts or {}
  local st = state()
  local key = server_key(opts)
  local c = st.clusters[key]
  if not c or c.closed then
    c = cluster_mod.open(opts)
    st.clusters[key] = c
    st.order[#st.order + 1] = key
  end
  local spec = opts.schema and { schema = opts.schema } or { migrations = opts.migrations or default_migrations() }
  return c, template_mod.of(c, spec)
end

--- fixtures.stop_all(): drop what this process made and stop its servers (idempotent)
function M.stop_all()
  local st = state()
  for i = #st.order, 1, -1 do
    local c = st.clusters[st.order[i]]
    if c then pcall(c.close, c) end
  end
  st.clusters, st.order = {}, {}
end

-- ------------------------------------------------------------------ busted

-- busted's API (package "busted" is its exported API while busted runs).
local function busted_api(opts)
  if opts.busted then return opts.busted end
  local api = package.loaded["busted"]
  if type(api) == "table" and api.before_each then return api end
  error("dbhost.fixtures: call fixtures.session() / session_maker() inside a busted describe block", 3)
end

-- "describe name it name" of a busted element, as busted prints it.
local function full_name(api, element)
  local names = {}
  while element and element.descriptor ~= "file" do
    if element.name then table.insert(names, 1, element.name) end
    element = api.parent(element)
  end
  return table.concat(names, " ")
end

-- Subscribe once per busted instance: the current test's name, and the end of the run.
local function hook(api)
  local st = state()
  if st.hooked[api] then return end
  st.hooked[api] = true
  api.subscribe({ "test", "start" }, function(element)
    st.current_test = full_name(api, element)
    return nil, true
  end)
  api.subscribe({ "exit" }, function()
    M.stop_all()
    return nil, true
  end)
end

-- Run fn; a fatal fixture error stops the whole run at once, with its message.
local function guarded(fn)
  local ok, err = pcall(fn)
  if ok then return end
  if errors.kind(err) == "fatal" then
    M.stop_all()
    io.stdout:flush()
    io.stderr:write("\n", tostring(err.message), "\n")
    io.stderr:flush()
    os.exit(1, true)
  end
  error(err, 0)
end

local function report_leaks(opts, leaks)
  if not leaks then return end
  local name = state().current_test or "a test"
  local msg = ("dbhost.fixtures: test %q %s; the fixture cleaned up"):format(name, table.concat(leaks, "; "))
  if (opts.on_leak or "error") == "warn" then
    io.stderr:write(msg, "\n")
  else
    error(msg, 0)
  end
end

--- fixtures.session(opts) -> db: inside a describe block. db is a dbhost.pg connection
-- look-alike, usable in tests; see dbhost.fixtures.session for the transaction rules.
function M.session(opts)
  opts = opts or {}
  local api = busted_api(opts)
  hook(api)
  local s -- the session, from setup on
  local db = setmetatable({}, {
    __index = function(_, k)
      if not s then error("dbhost.fixtures: the session is used before setup ran (use it inside it/before_each/setup)", 2) end
      local v = s.db[k]
      if type(v) ~= "function" then return v end
      return function(_, ...) return v(s.db, ...) end
    end,
    __name = "dbhost.fixtures.session",
  })
  api.setup(function()
    guarded(function()
      local c, template = M.cluster(opts)
      local name = c:new_name("s")
      c:clone(template, name)
      s = session_mod.new(c:connect(name), opts)
      s.cluster, s.dbname = c, name
      s:open_block()
    end)
  end)
  api.before_each(function() s:begin_test() end)
  api.after_each(function() report_leaks(opts, s:end_test()) end)
  api.teardown(function()
    if not s then return end
    pcall(s.close_block, s)
    s.conn:close()
    if not s.cluster.closed then s.cluster:drop_later(s.dbname) end
    s = nil
  end)
  return db
end

--- fixtures.session_maker(opts) -> maker: inside a describe block. maker() / maker:connect()
-- open connections to the test's database; maker.url is its URL during a test.
function M.session_maker(opts)
  opts = opts or {}
  local api = busted_api(opts)
  hook(api)
  local m
  local proxy = setmetatable({}, {
    __index = function(_, k)
      if not m then error("dbhost.fixtures: the session maker is used before setup ran", 2) end
      if k == "connect" then return function() return m:connect() end end
      return m[k]
    end,
    __call = function() return m:connect() end,
    __name = "dbhost.fixtures.session_maker",
  })
  api.setup(function()
    guarded(function()
      local c, template = M.cluster(opts)
      m = maker_mod.new(c, template, opts)
    end)
  end)
  api.before_each(function() m:begin_test() end)
  api.after_each(function() report_leaks(opts, m:end_test()) end)
  api.teardown(function()
    if m and not m.cluster.closed then m:close() end
    m = nil
  end)
  return proxy
end

return M
