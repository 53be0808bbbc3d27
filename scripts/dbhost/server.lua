--- dbhost.server: throwaway PostgreSQL servers, without Docker.
--
--   local server = require "dbhost.server"
--   local srv <close> = assert(server.start{ major = 15 })
--   srv.url            -- postgresql:///postgres?host=<socket dir>&user=postgres
--   srv:stop()         -- also on close, on garbage collection and at exit
--
-- A server is a copy of a cached, ready-made data directory ("golden" copy,
-- one per PostgreSQL major version and set of initdb options) started by
-- exec'ing `postgres` directly: unix socket only, fsync off. Readiness is
-- read from postmaster.pid (the postmaster writes "ready" on its 8th line),
-- polled every 2 ms, not pg_ctl's 100 ms loop. When dbhost runs as root the
-- server runs as an unprivileged user (DBHOST_SERVER_USER, else "postgres",
-- else "nobody"), because PostgreSQL refuses to run as root.
--
-- Instances live under the runtime directory (DBHOST_RUNTIME_DIR, else
-- /dev/shm/dbhost-<uid> when /dev/shm exists, else $TMPDIR/dbhost-<uid>). Each
-- records its owner's pid and start time; server.start first sweeps instances
-- whose owner is gone (a killed run), stopping their postmaster and removing
-- their files. The postmaster also gets SIGQUIT when dbhost dies (Linux
-- parent-death signal), so a killed dbhost leaves no running server behind.
local fs = require "dbhost.fs"
local proc = require "dbhost.proc"

local M = {}

-- Bump when the golden directory's recipe changes: old caches are then ignored.
local GOLDEN_RECIPE = "v2"

-- 1 MB WAL segments keep the copied directory small (24 MB instead of 39 MB).
local INITDB_ARGS = { "-U", "postgres", "-A", "trust", "-E", "UTF8", "--locale=C",
                      "--no-sync", "--no-instructions", "--wal-segsize=1" }

-- Settings appended to postgresql.conf of the golden copy: fast and disposable.
local SERVER_CONF = [[

# dbhost throwaway server: speed over durability, unix socket only
listen_addresses = ''
fsync = off
synchronous_commit = off
full_page_writes = off
wal_level = minimal
max_wal_senders = 0
shared_buffers = 32MB
max_connections = 200
checkpoint_timeout = 1h
autovacuum = off
logging_collector = off
log_min_messages = warning
log_min_error_statement = panic
timezone = 'UTC'
]]

-- Replaying a big schema's migrations takes a lock per object created in one transaction:
-- the default lock table (64 x max_connections) fails around a thousand tables with
-- "out of shared memory" (53200). 512 per transaction holds ~100,000 locks (~35 MB shared).
local REPLAY_LOCKS = "max_locks_per_transaction=512"

local function getenv(k)
  local v = os.getenv(k)
  if v and v ~= "" then return v end
  return nil
end

--- server.bin_dirs(major) -> list of directories that may hold that version's binaries
local function candidate_bin_dirs(major)
  local list = {}
  local function add(d) list[#list + 1] = d end
  if getenv("DBHOST_PG_BINDIR") then add(getenv("DBHOST_PG_BINDIR")) end
  if major then
    add("/usr/lib/postgresql/" .. major .. "/bin")          -- Debian, Ubuntu
    add("/usr/pgsql-" .. major .. "/bin")                   -- PGDG RPMs
    add("/opt/homebrew/opt/postgresql@" .. major .. "/bin") -- Homebrew (arm64)
    add("/usr/local/opt/postgresql@" .. major .. "/bin")    -- Homebrew (x86_64)
  else
    local versions = fs.list("/usr/lib/postgresql") or {}
    table.sort(versions, function(a, b) return (tonumber(a) or 0) > (tonumber(b) or 0) end)
    for _, v in ipairs(versions) do add("/usr/lib/postgresql/" .. v .. "/bin") end
  end
  local postgres = proc.which("postgres")
  if postgres then add((postgres:gsub("/[^/]*$", ""))) end
  add("/usr/bin")  -- Fedora's postgresql-server
  return list
end

local function is_file(path)
  local st = fs.stat(path)
  return st ~= nil and st.type == "file"
end

-- The major version a postgres binary reports ("postgres (PostgreSQL) 15.18" -> 15)
local function binary_major(bindir)
  local r = proc.run { argv = { bindir .. "/postgres", "--version" }, timeout = 10 }
  if not r or r.status ~= 0 then return nil end
  return tonumber(r.stdout:match("PostgreSQL%)? (%d+)"))
end

--- server.find_binaries([major]) -> bindir, major | nil, message
-- Without major, the newest installed version.
function M.find_binaries(major)
  major = major and tonumber(major)
  for _, dir in ipairs(candidate_bin_dirs(major)) do
    if is_file(dir .. "/postgres") and is_file(dir .. "/initdb") then
      -- a versioned install path names its major version; anything else is asked
      local found = tonumber(dir:match("/postgresql/(%d+)/bin$") or dir:match("/pgsql%-(%d+)/bin$")
        or dir:match("/postgresql@(%d+)/bin$")) or binary_major(dir)
      if found and (major == nil or found == major) then return dir, found end
    end
  end
  local what = major and ("PostgreSQL " .. major) or "PostgreSQL"
  return nil, ("%s server binaries (postgres, initdb) were not found; run 'dbhost install'%s")
    :format(what, major and (" or install postgresql-" .. major) or "")
end

--- server.run_user() -> user table | nil: whom the server runs as (nil: the current user)
function M.run_user()
  if proc.uid() ~= 0 then return nil end
  local names = { getenv("DBHOST_SERVER_USER"), "postgres", "nobody" }
  for i = 1, 3 do
    local name = names[i]
    if name then
      local u = proc.user(name)
      if u and u.uid ~= 0 then return u end
    end
  end
  error("dbhost runs as root and no unprivileged user was found for PostgreSQL (set DBHOST_SERVER_USER)", 0)
end

--- server.runtime_dir() -> directory holding the instances (made if missing)
function M.runtime_dir()
  local base = getenv("DBHOST_RUNTIME_DIR")
  if not base then
    local shm = fs.stat("/dev/shm")
    local parent = (shm and shm.type == "directory") and "/dev/shm" or (getenv("TMPDIR") or "/tmp")
    base = ("%s/dbhost-%d"):format(parent, proc.uid())
  end
  assert(fs.mkdir(base, 493)) -- 0755: the server user must reach its instance
  return base
end

--- server.cache_dir() -> directory holding the golden data directories
function M.cache_dir()
  local base = getenv("DBHOST_CACHE_DIR")
  if not base then
    local xdg = getenv("XDG_CACHE_HOME") or ((getenv("HOME") or "/tmp") .. "/.cache")
    base = xdg .. "/dbhost"
  end
  local path = ""
  for part in base:gmatch("[^/]+") do
    path = path .. "/" .. part
    fs.mkdir(path, 493)
  end
  return base
end

-- Run a server binary as the server user, with the given timeout.
local function run_as(user, argv, timeout)
  local r, err = proc.run { argv = argv, user = user and user.uid or nil, timeout = timeout or 120, cwd = "/" }
  if not r then return nil, err end
  if r.status ~= 0 then
    return nil, ("%s failed (%s): %s"):format(argv[1]:match("[^/]+$"),
      r.timed_out and "timed out" or ("exit " .. tostring(r.status or r.signal)), (r.stderr .. r.stdout):gsub("%s+$", ""))
  end
  return r
end

local function chown_tree(path, user)
  if not user then return true end
  local r, err = proc.run { argv = { "chown", "-R", user.uid .. ":" .. user.gid, path }, timeout = 60 }
  if not r or r.status ~= 0 then return nil, "chown " .. path .. ": " .. tostring(err or r.stderr) end
  return true
end

local function copy_tree(from, to)
  local r, err = proc.run { argv = { "cp", "-a", from, to }, timeout = 120 }
  if not r or r.status ~= 0 then return nil, ("copying %s: %s"):format(from, err or r.stderr) end
  return true
end

--- server.start_time(pid) -> string: a process's start time (Linux /proc; "" elsewhere),
-- used to tell a live owner from a reused pid.
function M.start_time(pid)
  local stat = fs.read("/proc/" .. pid .. "/stat")
  if not stat then return "" end
  local after = stat:match("%) (.*)$")
  if not after then return "" end
  local i = 0
  for field in after:gmatch("%S+") do
    i = i + 1
    if i == 20 then return field end -- field 22 of the whole line
  end
  return ""
end

local function owner_alive(text)
  local pid, started = (text or ""):match("^(%d+) (%S*)")
  pid = tonumber(pid)
  if not pid or not proc.alive(pid) then return false end
  return started == "" or M.start_time(pid) == started
end

local function postmaster_pid(data_dir)
  local pidfile = fs.read(data_dir .. "/postmaster.pid")
  return pidfile and tonumber(pidfile:match("^(%d+)"))
end

--- server.sweep([runtime]) -> count: remove instances whose owner is gone
function M.sweep(runtime)
  runtime = runtime or M.runtime_dir()
  local removed = 0
  for _, name in ipairs(fs.list(runtime) or {}) do
    local dir = runtime .. "/" .. name
    if name:match("^pg%-") then
      local owner = fs.read(dir .. "/owner")
      local st = fs.stat(dir)
      -- an instance still being created has no owner file for a moment: give it a minute
      local young = st and (os.time() - st.mtime) < 60
      if (owner and not owner_alive(owner)) or (not owner and not young) then
        local pid = postmaster_pid(dir .. "/data")
        if pid and proc.alive(pid) then
          proc.kill(pid, "QUIT")
          for _ = 1, 500 do
            if not proc.alive(pid) then break end
            proc.sleep(0.002)
          end
        end
        if fs.rmtree(dir) then removed = removed + 1 end
      end
    end
  end
  return removed
end

local function golden_path(major)
  return ("%s/pg%d-%s"):format(M.cache_dir(), major, GOLDEN_RECIPE)
end

-- Cold start: initdb straight into the new instance's data directory, then copy
-- it into the cache (staged, renamed into place: a racing process that lost
-- removes its own copy) for the next starts.
local function init_data_dir(bindir, major, user, data_dir)
  assert(fs.mkdir(data_dir, 448))
  local ok, err = chown_tree(data_dir, user)
  if ok then
    local argv = { bindir .. "/initdb", "-D", data_dir }
    for _, a in ipairs(INITDB_ARGS) do argv[#argv + 1] = a end
    ok, err = run_as(user, argv, 120)
  end
  if ok then
    local conf = data_dir .. "/postgresql.conf"
    ok, err = fs.write(conf, assert(fs.read(conf)) .. SERVER_CONF)
    -- fs.write replaces the file: give it back to the server user
    if ok and user then ok, err = fs.chown(conf, user.uid, user.gid) end
  end
  if not ok then return nil, err end
  local golden = golden_path(major)
  local staging = golden .. ".tmp-" .. proc.pid()
  fs.rmtree(staging)
  if copy_tree(data_dir, staging) and not fs.rename(staging, golden) then fs.rmtree(staging) end
  return true
end

-- The data directory of a new instance: a copy of the golden one (warm), or a
-- fresh initdb that then fills the cache (cold). Returns ok, err, warm.
local function prepare_data_dir(bindir, major, user, data_dir)
  local golden = golden_path(major)
  local gst = fs.stat(golden .. "/PG_VERSION")
  if not gst then
    local ok, err = init_data_dir(bindir, major, user, data_dir)
    return ok, err, false
  end
  local ok, err = copy_tree(golden, data_dir)
  -- the golden copy is owned by the server user already, unless that user changed
  if ok and user and gst.uid ~= user.uid then ok, err = chown_tree(data_dir, user) end
  return ok, err, true
end

local Server = {}
Server.__index = Server

--- srv:stop(): immediate shutdown (SIGQUIT) and removal of every file; idempotent
function Server:stop()
  if self.stopped then return end
  self.stopped = true
  if self.process then
    self.process:kill("QUIT")
    self.process:wait(10)
    self.process:close()
  end
  fs.rmtree(self.dir)
end
Server.__close = Server.stop
Server.__gc = Server.stop

--- srv:log() -> the server's log so far
function Server:log()
  return fs.read(self.dir .. "/server.log") or ""
end

local function wait_ready(srv, timeout)
  local deadline = proc.now() + timeout
  local pidfile = srv.data_dir .. "/postmaster.pid"
  while true do
    local text = fs.read(pidfile)
    if text then
      local n, status = 0, nil
      for line in text:gmatch("([^\n]*)\n") do
        n = n + 1
        if n == 8 then status = line:match("^%s*(%S+)") end
      end
      if status == "ready" then return true end
    end
    if not srv.process:running() then
      return nil, "PostgreSQL exited during start-up:\n" .. srv:log():gsub("%s+$", "")
    end
    if proc.now() > deadline then
      return nil, ("PostgreSQL was not ready after %gs:\n%s"):format(timeout, srv:log())
    end
    proc.sleep(0.002)
  end
end

--- server.start{ major = N | nil, timeout = seconds, detached = bool } -> server | nil, message
-- detached: the server keeps running after dbhost exits (no parent-death signal,
-- no stop at exit); srv.pid is the postmaster, stopped with proc.kill(pid, "QUIT").
function M.start(opts)
  opts = opts or {}
  local t0 = proc.now()
  local bindir, major = M.find_binaries(opts.major)
  if not bindir then return nil, major end
  local user = M.run_user()
  local runtime = M.runtime_dir()
  M.sweep(runtime)
  local dir = assert(fs.mkdtemp("pg-" .. major, runtime))
  -- The metatable (and so the finalizer) is set only once the postmaster runs:
  -- Lua finalizes objects in the reverse order of marking, so the server is
  -- stopped at exit before its process handle is closed.
  local srv = { dir = dir, data_dir = dir .. "/data", socket_dir = dir, major = major,
                bindir = bindir, user = user and user.name }
  assert(fs.write(dir .. "/owner", ("%d %s\n"):format(proc.pid(), M.start_time(proc.pid()))))
  local ok, err = true, nil
  if user then ok, err = fs.chown(dir, user.uid, user.gid) end
  if ok then ok, err, srv.warm = prepare_data_dir(bindir, major, user, srv.data_dir) end
  if not ok then
    Server.stop(srv)
    return nil, err
  end
  srv.process, err = proc.spawn {
    argv = { bindir .. "/postgres", "-D", srv.data_dir, "-k", dir, "-c", "listen_addresses=",
             "-c", REPLAY_LOCKS },
    user = user and user.uid or nil, cwd = "/",
    stdout = dir .. "/server.log", stderr = dir .. "/server.log",
    death_signal = not opts.detached and "QUIT" or nil,
  }
  if not srv.process then
    Server.stop(srv)
    return nil, "starting postgres: " .. tostring(err)
  end
  setmetatable(srv, Server)
  ok, err = wait_ready(srv, opts.timeout or 30)
  if not ok then
    srv:stop()
    if user and err:find("Permission denied", 1, true) then
      err = err .. ("\n(the server runs as user %q: every directory above %s must be searchable by it;"
        .. " set DBHOST_RUNTIME_DIR to move it)"):format(user.name, runtime)
    end
    return nil, err
  end
  srv.url = ("postgresql:///postgres?host=%s&user=postgres"):format(dir)
  srv.started_in = proc.now() - t0
  srv.pid = srv.process:pid()
  if opts.detached then
    -- the server outlives dbhost: its owner is the postmaster itself, so the
    -- janitor removes the files only once the server is gone
    assert(fs.write(dir .. "/owner", ("%d %s\n"):format(srv.pid, M.start_time(srv.pid))))
    srv.stopped = true
    srv.process:close()
    srv.process = nil
  end
  return srv
end

return M
