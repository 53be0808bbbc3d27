--- dbhost.db.server: throwaway PostgreSQL servers, without Docker.
--
--   local server = require "dbhost.db.server"
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
-- $XDG_RUNTIME_DIR/dbhost, else /dev/shm/dbhost-<uid>, else $TMPDIR/dbhost-<uid>).
-- It must belong to the current user and be writable by no one else (dbhost
-- refuses it otherwise, exit 2): a folder a local user made first would let them
-- plant instance records. Layout, when dbhost runs as root:
--
--   <runtime>/              root 0711: others may pass through, not list or create
--     pg-15-XXXXXX/         root 0711, one per server; root's own files:
--       owner               "<pid> <start time>" of the dbhost that owns it
--       server              "<pid> <start time> <uid> <exe>" of its postmaster
--       server.log          created by root (O_EXCL), handed to postgres as an fd
--       data/               the server user's (0700), copied without following links
--       sock/               the server user's (0755), the unix socket
--
-- Not as root everything is the current user's and 0700. Root never writes
-- through a path inside data/ or sock/, which the server user (and so any SQL
-- run with COPY ... TO PROGRAM) can change. Each start first sweeps instances
-- whose owner is gone (a killed run): their postmaster gets SIGQUIT only if its
-- pid, start time, uid and executable still match the `server` record; then
-- their files go. The postmaster also gets SIGQUIT when dbhost dies (Linux
-- parent-death signal), so a killed dbhost leaves no running server behind.
-- Servers and the programs around them run with a minimal environment (PATH,
-- LC_ALL, TZ): no password or token of the caller reaches them.
local fs = require "dbhost.fs"
local proc = require "dbhost.proc"
local errors = require "dbhost.errors"

local M = {}

-- Bump when the golden directory's recipe changes: old caches are then ignored.
local GOLDEN_RECIPE = "v3" -- v3: root-owned, copied without following links

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
  local r = proc.run { argv = { bindir .. "/postgres", "--version" }, timeout = 10, env = M.child_env() }
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

-- Make a private folder (mode) or check an existing one: it must be a real
-- directory of the current user that no one else may write. A config error
-- (exit 2) otherwise.
local function private_dir(path, mode, what)
  local ok, err = fs.mkdir(path, mode)
  local st = fs.stat(path, true)
  if not st then
    errors.config("%s %s cannot be made: %s", what, path, tostring(err))
  end
  if st.type ~= "directory" then
    errors.config("%s %s is not a directory (a %s); remove it or set %s", what, path, st.type,
      what == "runtime folder" and "DBHOST_RUNTIME_DIR" or "DBHOST_CACHE_DIR")
  end
  if st.uid ~= proc.uid() then
    errors.config("%s %s belongs to uid %d, not to you (uid %d): someone else may have made it;"
      .. " remove it or set %s", what, path, st.uid, proc.uid(),
      what == "runtime folder" and "DBHOST_RUNTIME_DIR" or "DBHOST_CACHE_DIR")
  end
  if st.mode & 18 ~= 0 then -- 022: group or others may write
    errors.config("%s %s is writable by other users (mode %03o); run chmod go-w on it", what, path, st.mode)
  end
  if not ok then errors.config("%s %s: %s", what, path, tostring(err)) end
  return path
end
M.private_dir = private_dir

-- 0711 as root (the server user passes through to its own data/ and sock/), else 0700.
local function dir_mode()
  return proc.uid() == 0 and 457 or 448
end

--- server.runtime_dir() -> directory holding the instances (made if missing, checked)
function M.runtime_dir()
  local base = getenv("DBHOST_RUNTIME_DIR")
  if not base then
    local xdg = getenv("XDG_RUNTIME_DIR")
    local xst = xdg and fs.stat(xdg, true)
    -- as root the server user must pass through it: /run/user/0 is 0700
    if xst and xst.type == "directory" and xst.uid == proc.uid() and (proc.uid() ~= 0 or xst.mode & 1 ~= 0) then
      base = xdg .. "/dbhost"
    else
      local shm = fs.stat("/dev/shm")
      local parent = (shm and shm.type == "directory") and "/dev/shm" or (getenv("TMPDIR") or "/tmp")
      base = ("%s/dbhost-%d"):format(parent, proc.uid())
    end
  end
  private_dir(base, dir_mode(), "runtime folder")
  -- an existing folder keeps its mode; as root it must let the server user through
  if proc.uid() == 0 then
    local st = fs.stat(base, true)
    if st.mode & 1 == 0 then assert(fs.chmod(base, st.mode | 73)) end
  end
  return base
end

--- server.cache_dir() -> directory holding the golden data directories, the replay snapshots
-- (snapshots/) and the replay cache's models (models/) (made if missing, checked)
-- DBHOST_CACHE_DIR, else $XDG_CACHE_HOME/dbhost, else $HOME/.cache/dbhost, else the
-- home folder of the passwd entry; never a guessable folder under /tmp.
function M.cache_dir()
  local base = getenv("DBHOST_CACHE_DIR")
  if not base then
    local home = getenv("HOME")
    if not home then
      local me = proc.user(proc.uid())
      home = me and me.home ~= "" and me.home ~= "/" and me.home or nil
    end
    local xdg = getenv("XDG_CACHE_HOME") or (home and home .. "/.cache")
    if not xdg then
      errors.config("no cache folder: HOME and XDG_CACHE_HOME are unset and uid %d has no home folder;"
        .. " set DBHOST_CACHE_DIR", proc.uid())
    end
    base = xdg .. "/dbhost"
    -- the parents (~/.cache) are made as usual; only dbhost's own folder is checked
    local path = ""
    for part in xdg:gmatch("[^/]+") do
      path = path .. "/" .. part
      fs.mkdir(path, 448)
    end
  end
  return private_dir(base, 448, "cache folder")
end

--- server.child_env() -> the whole environment of a server and the programs around it:
-- nothing of the caller's (PGPASSWORD, DATABASE_URL, cloud keys) gets through.
function M.child_env()
  return { PATH = "/usr/local/bin:/usr/bin:/bin", LC_ALL = "C", TZ = "UTC" }
end

-- Run a server binary as the server user, with the given timeout.
local function run_as(user, argv, timeout)
  local r, err = proc.run { argv = argv, user = user and user.uid or nil, timeout = timeout or 120, cwd = "/",
                            env = M.child_env() }
  if not r then return nil, err end
  if r.status ~= 0 then
    return nil, ("%s failed (%s): %s"):format(argv[1]:match("[^/]+$"),
      r.timed_out and "timed out" or ("exit " .. tostring(r.status or r.signal)), (r.stderr .. r.stdout):gsub("%s+$", ""))
  end
  return r
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

--- server.identity(pid) -> { pid=, started=, uid=, exe= } | nil: what /proc says about a process
function M.identity(pid)
  local status = fs.read("/proc/" .. pid .. "/status")
  local started = M.start_time(pid)
  local exe = fs.readlink("/proc/" .. pid .. "/exe")
  local uid = status and tonumber(status:match("\nUid:%s+(%d+)"))
  if not uid or started == "" or not exe then return nil end
  return { pid = pid, started = started, uid = uid, exe = exe }
end

--- server.identity_text(id) -> the line recorded for a process
function M.identity_text(id)
  return ("%d %s %d %s\n"):format(id.pid, id.started, id.uid, id.exe)
end

--- server.same_process(recorded) -> bool: does the process named by a recorded
-- identity (table or line) still run, with the same start time, uid and executable?
function M.same_process(rec)
  if type(rec) == "string" then
    local pid, started, uid, exe = rec:match("^(%d+) (%d+) (%d+) ([^\n]+)")
    if not pid then return false end
    rec = { pid = tonumber(pid), started = started, uid = tonumber(uid), exe = exe }
  end
  if type(rec) ~= "table" or not tonumber(rec.pid) or tonumber(rec.pid) <= 0 then return false end
  local now = M.identity(tonumber(rec.pid))
  return now ~= nil and now.started == tostring(rec.started) and now.uid == tonumber(rec.uid) and now.exe == rec.exe
end

--- server.stop_recorded(rec) -> bool: SIGQUIT to a recorded postmaster that is still
-- the same process, then wait for it to go (5 s at most)
function M.stop_recorded(rec)
  if not M.same_process(rec) then return false end
  local pid = tonumber(type(rec) == "table" and rec.pid or rec:match("^(%d+)"))
  proc.kill(pid, "QUIT")
  for _ = 1, 2500 do
    if not proc.alive(pid) then break end
    proc.sleep(0.002)
  end
  return true
end

--- server.sweep([runtime]) -> count: remove instances whose owner is gone
-- Only records in folders of the current user are believed; the postmaster is
-- signalled only when it still is the process recorded at its start.
function M.sweep(runtime)
  runtime = runtime or M.runtime_dir()
  local removed = 0
  for _, name in ipairs(fs.list(runtime) or {}) do
    local dir = runtime .. "/" .. name
    local st = fs.stat(dir, true)
    -- only our own folders: one of another owner (an older dbhost's layout, which
    -- handed the whole folder to the server user) is never believed nor removed
    if name:match("^pg%-") and st and st.type == "directory" and st.uid == proc.uid() then
      local owner = fs.read(dir .. "/owner", true)
      -- an instance still being created has no owner file for a moment: give it a minute
      local young = (os.time() - st.mtime) < 60
      if (owner and not owner_alive(owner)) or (not owner and not young) then
        local rec = fs.read(dir .. "/server", true)
        if rec then M.stop_recorded(rec) end
        if fs.rmtree(dir) then removed = removed + 1 end
      end
    end
  end
  return removed
end

local function golden_path(major)
  return ("%s/pg%d-%s"):format(M.cache_dir(), major, GOLDEN_RECIPE)
end

--- server.cache_ready(major) -> bool: the golden data directory of that major exists
function M.cache_ready(major)
  return fs.stat(golden_path(major)) ~= nil
end

-- Cold start: initdb (as the server user) into a scratch folder of the instance,
-- copied without following links into a staging folder of the cache (root's own
-- files), settings appended there, renamed into place (a racing process that
-- lost removes its own copy). The instance then starts from the cache like a
-- warm one.
local function init_golden(bindir, major, user, instance)
  local scratch = instance .. "/initdb"
  assert(fs.mkdir(scratch, 448))
  local ok, err = true, nil
  if user then ok, err = fs.chown(scratch, user.uid, user.gid) end
  if ok then
    local argv = { bindir .. "/initdb", "-D", scratch .. "/data" }
    for _, a in ipairs(INITDB_ARGS) do argv[#argv + 1] = a end
    ok, err = run_as(user, argv, 120)
  end
  local golden = golden_path(major)
  local staging = golden .. ".tmp-" .. proc.pid()
  fs.rmtree(staging)
  if ok then ok, err = fs.copytree(scratch .. "/data", staging) end
  fs.rmtree(scratch)
  if ok then
    local conf = staging .. "/postgresql.conf"
    local text
    text, err = fs.read(conf, true)
    ok = text ~= nil
    if ok then ok, err = fs.write(conf, text .. SERVER_CONF) end
  end
  if ok and not fs.rename(staging, golden) and not fs.stat(golden .. "/PG_VERSION") then
    ok, err = nil, "cannot place the cached data directory at " .. golden
  end
  fs.rmtree(staging)
  return ok, err
end

-- The data directory of a new instance: a copy of the golden one, made first if
-- missing (cold). The copy is made by root into a folder nobody else can reach
-- and handed to the server user entry by entry, deepest first; from the replay snapshot
-- instead when one is given and can be copied. Returns ok, err, warm, from_snapshot.
local function prepare_data_dir(bindir, major, user, instance, data_dir, snapshot)
  if snapshot then
    local ok
    if user then
      ok = fs.copytree(snapshot, data_dir, user.uid, user.gid)
    else
      ok = fs.copytree(snapshot, data_dir)
    end
    if ok then return true, nil, true, true end
    -- gone meanwhile (a newer one replaced it) or unreadable: the pristine copy
    fs.rmtree(data_dir)
  end
  local golden = golden_path(major)
  local warm = fs.stat(golden .. "/PG_VERSION") ~= nil
  if not warm then
    local ok, err = init_golden(bindir, major, user, instance)
    if not ok then return nil, err, false end
  end
  local ok, err
  if user then
    ok, err = fs.copytree(golden, data_dir, user.uid, user.gid)
  else
    ok, err = fs.copytree(golden, data_dir)
  end
  return ok, err, warm
end

-- ------------------------------------------------------------------ snapshots
-- A replay snapshot: the data directory of a throwaway server that replayed a migration
-- directory, kept with its replay templates (dbhost.migrate.replay, dbhost.db.dev) so that
-- the next run's replay starts from the longest prefix instead of from nothing. Layout:
--
--   <cache>/snapshots/                    0700, the current user's
--     pg15-v3-<time>-<pid>/              one complete snapshot (renamed into place)
--       manifest                         written last, before the rename: the format,
--                                        major and recipe, then "template <name>" lines
--       data/                            root's own copy when dbhost runs as root
--     .tmp-<pid>-<start time>-XXXXXX/    a snapshot being written
--
-- Readers take the newest complete snapshot of their major. A snapshot is never changed
-- nor reused under its name: a writer places a new one and the older ones are removed
-- only SNAPSHOT_GRACE seconds after their successor was placed (a copy started before
-- that has long ended), so a reader never copies a mix of two snapshots nor a folder
-- being removed. A snapshot folder without a valid manifest, or one the server fails to
-- start from, is removed and the server starts from the pristine copy. A caller that names
-- the templates it could use starts from the pristine copy too when the snapshot holds
-- none of them (another project's: copying it would only cost time).
local SNAPSHOT_FORMAT = "dbhost replay snapshot 1"
local SNAPSHOT_GRACE = 120

local function snapshot_root()
  local root = M.cache_dir() .. "/snapshots"
  return private_dir(root, 448, "cache folder")
end

local function snapshot_manifest(major, templates)
  local lines = { SNAPSHOT_FORMAT, ("pg%d %s"):format(major, GOLDEN_RECIPE) }
  for _, t in ipairs(templates or {}) do lines[#lines + 1] = "template " .. t end
  return table.concat(lines, "\n") .. "\n"
end

-- The complete snapshots of major, newest first: { path =, stamp = }.
local function snapshots(root, major)
  local out = {}
  local prefix = ("pg%d-%s-"):format(major, GOLDEN_RECIPE)
  for _, name in ipairs(fs.list(root) or {}) do
    if name:sub(1, #prefix) == prefix then
      local t, pid = name:sub(#prefix + 1):match("^(%d+)-(%d+)$")
      local path = root .. "/" .. name
      local st = fs.stat(path, true)
      if t and st and st.type == "directory" and st.uid == proc.uid() then
        out[#out + 1] = { path = path, time = tonumber(t), pid = tonumber(pid) }
      end
    end
  end
  table.sort(out, function(a, b)
    if a.time ~= b.time then return a.time > b.time end
    return a.pid > b.pid
  end)
  return out
end

-- A complete snapshot of major: its manifest (read into snap.manifest) and PG_VERSION.
local function snapshot_valid(snap, major)
  local manifest = fs.read(snap.path .. "/manifest", true)
  local version = fs.stat(snap.path .. "/data/PG_VERSION", true)
  local head = snapshot_manifest(major)
  snap.manifest = manifest
  return manifest ~= nil and manifest:sub(1, #head) == head and version ~= nil and version.type == "file"
end

-- Remove a snapshot: renamed away first, so that no reader opens it by name while its
-- files go.
local function remove_snapshot(root, path)
  local trash = ("%s/.trash-%d-%d"):format(root, proc.pid(), math.random(1, 1e9))
  if fs.rename(path, trash) then fs.rmtree(trash) end
end

-- Tidy the snapshots of major: invalid ones and those of another recipe go, superseded ones
-- once SNAPSHOT_GRACE has passed since their successor was placed, staging and trash
-- folders of dead processes. Returns the newest valid one.
local function tidy_snapshots(root, major)
  local list = snapshots(root, major)
  -- those of an older recipe of the golden copy are never used again
  local this = ("pg%d-%s-"):format(major, GOLDEN_RECIPE)
  for _, name in ipairs(fs.list(root) or {}) do
    if name:match(("^pg%d%%-[^-]+%%-%%d+%%-%%d+$"):format(major)) and name:sub(1, #this) ~= this then
      remove_snapshot(root, root .. "/" .. name)
    end
  end
  local newest
  for _, snap in ipairs(list) do
    if not snapshot_valid(snap, major) then
      remove_snapshot(root, snap.path)
    elseif not newest then
      newest = snap
    elseif os.time() - newest.time > SNAPSHOT_GRACE then
      remove_snapshot(root, snap.path)
    end
  end
  for _, name in ipairs(fs.list(root) or {}) do
    local pid, started = name:match("^%.tmp%-(%d+)%-(%d*)%-")
    if not pid then pid, started = name:match("^%.trash%-(%d+)%-"), "" end
    if pid and not owner_alive(pid .. " " .. started) then fs.rmtree(root .. "/" .. name) end
  end
  return newest
end

--- server.snapshot(major [, wanted]) -> path of the data directory of the newest replay
-- snapshot | nil; with wanted (a list of template names), only when it holds one of them
function M.snapshot(major, wanted)
  local root = snapshot_root()
  local snap = tidy_snapshots(root, major)
  if not snap then return nil end
  if wanted then
    local held = {}
    for name in snap.manifest:gmatch("\ntemplate ([^\n]+)") do held[name] = true end
    local any = false
    for _, name in ipairs(wanted) do any = any or held[name] == true end
    if not any then return nil end
  end
  return snap.path .. "/data"
end

--- server.drop_snapshot(data_path): forget the snapshot whose data directory that is
-- (the server did not start from it)
function M.drop_snapshot(data_path)
  local path = data_path:match("^(.*)/data$")
  if path then remove_snapshot(path:match("^(.*)/[^/]*$"), path) end
end

local Server = {}
Server.__index = Server

--- srv:stop_soon(): ask for the immediate shutdown (SIGQUIT) and return at once, so that the
-- caller works while the server goes; srv:stop() then waits for it and removes the files
function Server:stop_soon()
  if self.stopped or self.quitting or not self.process then return end
  self.quitting = true
  self.process:kill("QUIT")
end

--- srv:stop(): immediate shutdown (SIGQUIT) and removal of every file; idempotent
function Server:stop()
  if self.stopped then return end
  self.stopped = true
  if self.process then
    if not self.quitting then self.process:kill("QUIT") end
    self.process:wait(10)
    self.process:close()
  end
  fs.rmtree(self.dir)
end
Server.__close = Server.stop
Server.__gc = Server.stop

--- srv:store_snapshot([templates]) -> true | nil, message, code: stop the server cleanly
-- (a fast shutdown, which checkpoints) and keep its data directory as the replay snapshot
-- of its major (see "snapshots" above), then remove the instance like srv:stop(). The
-- caller has left in the server only what the snapshot is for; templates lists the names
-- of the replay templates in it. On any failure nothing is stored.
function Server:store_snapshot(templates)
  if self.stopped then return nil, "the server is stopped", "ESTOPPED" end
  local ok, err, code = self.process:kill("INT")
  local status = ok and self.process:wait(60)
  if status ~= 0 then
    self:stop()
    return nil, "the server did not shut down cleanly", "ESHUTDOWN"
  end
  self.process:close()
  self.process = nil
  local root = snapshot_root()
  local staging
  staging, err, code = fs.mkdtemp((".tmp-%d-%s-"):format(proc.pid(), M.start_time(proc.pid())), root)
  ok = staging ~= nil
  -- root's own copy of the server user's files: copytree refuses links and makes every entry
  if ok then ok, err, code = fs.copytree(self.data_dir, staging .. "/data") end
  if ok then ok, err, code = fs.write(staging .. "/manifest", snapshot_manifest(self.major, templates), 384) end
  if ok then
    local final = ("%s/pg%d-%s-%d-%d"):format(root, self.major, GOLDEN_RECIPE, os.time(), proc.pid())
    ok, err, code = fs.rename(staging, final)
  end
  if staging and not ok then fs.rmtree(staging) end
  if ok then tidy_snapshots(root, self.major) end
  self:stop()
  if not ok then return nil, err, code end
  return true
end

--- srv:log() -> the server's log so far
function Server:log()
  return fs.read(self.dir .. "/server.log", true) or ""
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

--- server.start{ major = N | nil, timeout = seconds, detached = bool, snapshot = bool,
--                templates = { name, ... }, nowait = bool } -> server | nil, message
-- nowait (not with a snapshot): return once the postmaster is spawned, before it accepts
-- connections; srv.pending() waits for that (server.ready), so that the caller works meanwhile.
-- detached: the server keeps running after dbhost exits (no parent-death signal,
-- no stop at exit); srv.pid is the postmaster, stopped with proc.kill(pid, "QUIT").
-- snapshot: start from the newest replay snapshot of that major when there is one (and,
-- with templates, it holds one of them); srv.snapshot is then its path;
-- srv:store_snapshot() keeps a new one.
function M.start(opts)
  opts = opts or {}
  local t0 = proc.now()
  local bindir, major = M.find_binaries(opts.major)
  if not bindir then return nil, major end
  local user = M.run_user()
  local runtime = M.runtime_dir()
  M.sweep(runtime)
  local snapshot = opts.snapshot and M.snapshot(major, opts.templates) or nil
  local dir = assert(fs.mkdtemp("pg-" .. major, runtime))
  -- The metatable (and so the finalizer) is set only once the postmaster runs:
  -- Lua finalizes objects in the reverse order of marking, so the server is
  -- stopped at exit before its process handle is closed.
  local srv = { dir = dir, data_dir = dir .. "/data", socket_dir = dir .. "/sock", major = major,
                bindir = bindir, user = user and user.name }
  assert(fs.chmod(dir, dir_mode()))
  assert(fs.write(dir .. "/owner", ("%d %s\n"):format(proc.pid(), M.start_time(proc.pid())), 384))
  -- root's files first, made exclusively in root's own folder; then the handover
  local log = dir .. "/server.log"
  local ok, err = fs.write(log, "", 384)
  local from_snapshot
  if ok then ok, err, srv.warm, from_snapshot = prepare_data_dir(bindir, major, user, dir, srv.data_dir, snapshot) end
  srv.snapshot = from_snapshot and snapshot or nil
  if ok then ok, err = fs.mkdir(srv.socket_dir, 493) end
  if ok and user then ok, err = fs.chown(srv.socket_dir, user.uid, user.gid) end
  if not ok then
    Server.stop(srv)
    return nil, err
  end
  local argv = { bindir .. "/postgres", "-D", srv.data_dir, "-k", srv.socket_dir, "-c", "listen_addresses=",
                 "-c", REPLAY_LOCKS }
  if opts.snapshot then
    -- WAL segments are removed, not recycled: after the clean shutdown of
    -- srv:store_snapshot() the data directory holds only the one it needs
    for _, a in ipairs { "-c", "wal_recycle=off", "-c", "wal_init_zero=off" } do argv[#argv + 1] = a end
  end
  srv.process, err = proc.spawn {
    argv = argv,
    user = user and user.uid or nil, cwd = "/", env = M.child_env(),
    stdout = log, stderr = log,
    death_signal = not opts.detached and "QUIT" or nil,
  }
  if not srv.process then
    Server.stop(srv)
    return nil, "starting postgres: " .. tostring(err)
  end
  -- what the janitor checks before it signals this pid, ever
  local id = M.identity(srv.process:pid())
  if id then fs.write(dir .. "/server", M.identity_text(id), 384) end
  srv.t0, srv.runtime = t0, runtime
  setmetatable(srv, Server)
  if opts.nowait and not srv.snapshot then
    srv.pending = function() return M.ready(srv, opts) end
    return srv
  end
  return M.ready(srv, opts)
end

--- server.ready(srv, opts) -> srv | nil, message: wait until a server started with
-- server.start{ nowait = true } accepts connections (srv.pending is that wait; srv.url is
-- set once it returned; on failure the server is stopped)
function M.ready(srv, opts)
  srv.pending = nil
  local ok, err = wait_ready(srv, opts.timeout or 30)
  if not ok and srv.snapshot then
    -- a damaged snapshot: forgotten, and the server starts from the pristine copy
    srv:stop()
    M.drop_snapshot(srv.snapshot)
    local again = {}
    for k, v in pairs(opts) do again[k] = v end
    again.snapshot = false
    return M.start(again)
  end
  if not ok then
    srv:stop()
    if srv.user and err:find("Permission denied", 1, true) then
      err = err .. ("\n(the server runs as user %q: every directory above %s must be searchable by it;"
        .. " set DBHOST_RUNTIME_DIR to move it)"):format(srv.user, srv.runtime)
    end
    return nil, err
  end
  srv.url = ("postgresql:///postgres?host=%s&user=postgres"):format(srv.socket_dir)
  srv.started_in = proc.now() - srv.t0
  srv.pid = srv.process:pid()
  if opts.detached then
    -- the server outlives dbhost: its owner is the postmaster itself, so the
    -- janitor removes the files only once the server is gone
    assert(fs.write(srv.dir .. "/owner", ("%d %s\n"):format(srv.pid, M.start_time(srv.pid)), 384))
    srv.stopped = true
    srv.process:close()
    srv.process = nil
  end
  return srv
end

return M
