-- proc_spec.lua: dbhost.proc as scripts use it (runs inside dbhost and in
-- the stock interpreter).
local helper = require "helper"
local proc = require "dbhost.proc"

-- Gone: no such process, or a zombie that nobody reaps (PID 1 may not).
local function gone(pid)
  if not proc.alive(pid) then return true end
  local f = io.open("/proc/" .. pid .. "/stat")
  if not f then return true end
  local stat = f:read("a")
  f:close()
  local state = stat:match("%) (%a)")
  return state == "Z" or state == "X"
end

local function wait_gone(pid, secs)
  local deadline = proc.now() + secs
  while proc.now() < deadline do
    if gone(pid) then return true end
    proc.sleep(0.01)
  end
  return gone(pid)
end

local function tmpdir()
  local r = assert(proc.run { argv = { "mktemp", "-d" } })
  assert(r.status == 0, r.stderr)
  return (r.stdout:gsub("\n$", ""))
end

local function rmtree(dir)
  local r = assert(proc.run { argv = { "rm", "-rf", dir } })
  assert(r.status == 0, r.stderr)
end

local function read(path)
  local f = assert(io.open(path))
  local s = f:read("a")
  f:close()
  return s
end

describe("proc.run", function()
  it("runs a program from argv and captures its output", function()
    local r = assert(proc.run { argv = { "echo", "a  b", "$HOME", 7 } })
    assert.are.equal(0, r.status)
    assert.is_nil(r.signal)
    assert.are.equal("a  b $HOME 7\n", r.stdout) -- no shell: nothing expands
    assert.are.equal("", r.stderr)
    assert.is_false(r.timed_out)
    assert.is_true(r.elapsed >= 0 and r.elapsed < 5)
  end)

  it("reports exit status and death by signal", function()
    local r = assert(proc.run { argv = { "sh", "-c", "echo bad >&2; exit 3" } })
    assert.are.equal(3, r.status)
    assert.are.equal("bad\n", r.stderr)
    r = assert(proc.run { argv = { "sh", "-c", "kill -TERM $$" } })
    assert.is_nil(r.status)
    assert.are.equal(15, r.signal)
  end)

  it("tells a program that cannot be executed from one that exits 127", function()
    local r, msg, code = proc.run { argv = { "dbhost-no-such-program", "x" } }
    assert.is_nil(r)
    assert.are.equal("dbhost-no-such-program: No such file or directory", msg)
    assert.are.equal("ENOENT", code)
    r = assert(proc.run { argv = { "sh", "-c", "exit 127" } })
    assert.are.equal(127, r.status)
  end)

  it("writes stdin while draining stdout and stderr (MBs each way)", function()
    local data = {}
    for i = 1, 140000 do data[i] = ("%014d\n"):format(i) end
    data = table.concat(data) -- 2.1 MB
    local r = assert(proc.run { argv = { "cat" }, stdin = data, timeout = 20 })
    assert.are.equal(0, r.status)
    assert.is_true(r.stdout == data)
    r = assert(proc.run { argv = { "tee", "/dev/stderr" }, stdin = data, timeout = 20 })
    assert.are.equal(#data, #r.stdout)
    assert.is_true(r.stdout == data and r.stderr == data)
  end)

  it("survives a child that stops reading stdin", function()
    local r = assert(proc.run { argv = { "head", "-c", "4" }, stdin = ("y"):rep(3000000) })
    assert.are.equal(0, r.status)
    assert.are.equal("yyyy", r.stdout)
  end)

  it("returns when the program exits, not when its background children do", function()
    local r = assert(proc.run { argv = { "sh", "-c", "echo a; sleep 3 & echo $!" } })
    assert.is_true(r.elapsed < 1, tostring(r.elapsed))
    local bg = tonumber(r.stdout:match("^a\n(%d+)\n$"))
    assert.is_truthy(bg)
    assert.is_true(proc.alive(bg))
    proc.kill(bg, "KILL")
  end)

  it("on timeout stops the whole process group", function()
    local r = assert(proc.run {
      argv = { "sh", "-c", "echo $$; sleep 30 & echo $!; sleep 30; wait" }, timeout = 0.3 })
    assert.is_true(r.timed_out)
    assert.is_nil(r.status)
    assert.are.equal(15, r.signal)
    assert.is_true(r.elapsed >= 0.3 and r.elapsed < 1.5, tostring(r.elapsed))
    local shell, grandchild = r.stdout:match("^(%d+)\n(%d+)\n$")
    assert.is_truthy(grandchild)
    assert.is_true(gone(tonumber(shell)))
    assert.is_true(wait_gone(tonumber(grandchild), 0.5))
  end)

  it("replaces or extends the environment", function()
    local r = assert(proc.run { argv = { "env" }, env = { PATH = "/usr/bin:/bin", B = "2", A = 1 } })
    assert.are.equal("A=1\nB=2\nPATH=/usr/bin:/bin\n", r.stdout)
    r = assert(proc.run { argv = { "env" }, env_add = { DBH_ADDED = "x y", PATH = false } })
    assert.is_truthy(r.stdout:find("\nDBH_ADDED=x y\n", 1, true))
    assert.is_truthy(r.stdout:find("DBHOST_SOURCE_DIR=", 1, true) or r.stdout:find("HOME=", 1, true))
    assert.is_falsy(r.stdout:find("\nPATH=", 1, true))
  end)

  it("looks the program up in the child's PATH", function()
    local dir = tmpdir()
    local f = assert(io.open(dir .. "/dbh-hello", "w"))
    f:write("#!/bin/sh\necho hello from \"$1\"\n")
    f:close()
    assert(proc.run { argv = { "chmod", "755", dir .. "/dbh-hello" } })
    local r = assert(proc.run { argv = { "dbh-hello", "path" }, env = { PATH = "/nonexistent:" .. dir } })
    assert.are.equal("hello from path\n", r.stdout)
    assert.are.equal(dir .. "/dbh-hello", proc.which("dbh-hello", dir))
    assert.is_nil(proc.which("dbh-hello"))
    local _, _, code = proc.run { argv = { "dbh-hello" } }
    assert.are.equal("ENOENT", code)
    rmtree(dir)
  end)

  it("runs in cwd", function()
    local dir = tmpdir()
    local r = assert(proc.run { argv = { "pwd", "-P" }, cwd = dir })
    local real = assert(proc.run { argv = { "realpath", dir } }).stdout
    assert.are.equal(real, r.stdout)
    rmtree(dir)
    local _, msg, code = proc.run { argv = { "pwd" }, cwd = dir }
    assert.are.equal("ENOENT", code)
    assert.are.equal("cwd " .. dir .. ": No such file or directory", msg)
  end)

  it("sends output to a file (appending) or to /dev/null", function()
    local dir = tmpdir()
    local log = dir .. "/out.log"
    for _ = 1, 2 do
      local r = assert(proc.run { argv = { "sh", "-c", "echo o; echo e >&2" }, stdout = log, stderr = log })
      assert.is_nil(r.stdout)
      assert.is_nil(r.stderr)
    end
    assert.are.equal("o\ne\no\ne\n", read(log))
    local r = assert(proc.run { argv = { "sh", "-c", "echo o; echo e >&2" }, stderr = "null" })
    assert.are.equal("o\n", r.stdout)
    assert.is_nil(r.stderr)
    rmtree(dir)
  end)

  if proc.uid() == 0 then
    it("runs as another user when root (nobody: uid 65534, its groups only)", function()
      local nobody = assert(proc.user("nobody"))
      assert.are.equal(65534, nobody.uid)
      local r = assert(proc.run { argv = { "id", "-u" }, user = "nobody" })
      assert.are.equal("65534\n", r.stdout)
      r = assert(proc.run { argv = { "id", "-G" }, user = 65534 })
      assert.are.equal(nobody.gid .. "\n", r.stdout)
      r = assert(proc.run { argv = { "sh", "-c", "echo $HOME $USER $LOGNAME" }, user = "nobody" })
      assert.are.equal(nobody.home .. " nobody nobody\n", r.stdout)
    end)

    it("refuses another user when not root (dbhost itself run as nobody)", function()
      local script = os.tmpname()
      local f = assert(io.open(script, "w"))
      f:write([[
local proc = require "dbhost.proc"
local r, msg, code = proc.run { argv = { "id", "-u" }, user = "root" }
local mine = proc.run { argv = { "id", "-u" }, user = "nobody" }
io.write(tostring(r), " ", tostring(code), " ", mine and mine.stdout or "?")
]])
      f:close()
      assert(proc.run { argv = { "chmod", "644", script } })
      -- a copy of the binary nobody can reach (the build tree may sit in a private folder)
      local dir = tmpdir()
      assert(proc.run { argv = { "chmod", "755", dir } })
      assert(proc.run { argv = { "cp", helper.dbhost, dir .. "/dbhost" } })
      local r = assert(proc.run { argv = { dir .. "/dbhost", "lua", script }, user = "nobody", timeout = 30 })
      rmtree(dir)
      os.remove(script)
      assert.are.equal(0, r.status, r.stderr)
      assert.are.equal("nil EPERM 65534\n", r.stdout)
    end)
  else
    it("refuses another user when not root", function()
      local r, msg, code = proc.run { argv = { "id", "-u" }, user = "root" }
      assert.is_nil(r)
      assert.are.equal("EPERM", code)
      assert.is_truthy(msg:find("not running as root", 1, true))
    end)
  end

  it("fails for an unknown user", function()
    local r, msg, code = proc.run { argv = { "id" }, user = "dbhost-no-such-user" }
    assert.is_nil(r)
    assert.are.equal("user 'dbhost-no-such-user': no such user", msg)
    assert.are.equal("ENOENT", code)
  end)

  it("raises on misuse", function()
    assert.has_error(function() proc.run { argv = {} } end)
    assert.has_error(function() proc.run { argv = { "true" }, timout = 1 } end)
    assert.has_error(function() proc.run { argv = { "true" }, env = { ["A=B"] = "1" } } end)
    assert.has_error(function() proc.run { argv = { "true" }, stdout = 1 } end)
    assert.has_error(function() proc.run { argv = { "true" }, timeout = 0 } end)
  end)
end)

describe("proc.spawn", function()
  it("starts, waits, kills the group and reaps", function()
    local p = assert(proc.spawn { argv = { "sleep", "30" } })
    assert.is_true(p:pid() > 0)
    assert.is_true(p:running())
    assert.is_true(proc.alive(p:pid()))
    local a, b, c = p:wait(0.05)
    assert.is_nil(a)
    assert.are.equal("timeout", b)
    assert.are.equal("ETIMEDOUT", c)
    assert.is_true(p:kill("INT"))
    local status, sig = p:wait(5)
    assert.is_false(status)
    assert.are.equal(2, sig)
    assert.is_false(p:running())
    local _, _, code = p:kill()
    assert.are.equal("ESRCH", code)
    p:close()
    assert.has_error(function() p:pid() end)
  end)

  it("returns the exit status and appends output to a file", function()
    local dir = tmpdir()
    local log = dir .. "/server.log"
    for _ = 1, 2 do
      local p <close> = assert(proc.spawn { argv = { "sh", "-c", "echo up; echo warn >&2; exit 5" },
                                           stdout = log, stderr = log })
      local status, sig = p:wait(5)
      assert.are.equal(5, status)
      assert.is_nil(sig)
    end
    assert.are.equal("up\nwarn\nup\nwarn\n", read(log))
    rmtree(dir)
  end)

  it("reaches grandchildren with p:kill", function()
    local dir = tmpdir()
    local file = dir .. "/pid"
    local p = assert(proc.spawn { argv = { "sh", "-c",
      "sleep 30 & echo $! > " .. file .. ".tmp; mv " .. file .. ".tmp " .. file .. "; wait" } })
    local pid
    for _ = 1, 500 do
      local f = io.open(file)
      if f then pid = tonumber(f:read("a")); f:close() end
      if pid then break end
      proc.sleep(0.01)
    end
    assert.is_truthy(pid)
    assert.is_true(p:kill("KILL"))
    local status, sig = p:wait(5)
    assert.is_false(status)
    assert.are.equal(9, sig)
    assert.is_true(wait_gone(pid, 1))
    rmtree(dir)
  end)

  it("does not kill the child on close", function()
    local p = assert(proc.spawn { argv = { "sleep", "30" } })
    local pid = p:pid()
    p:close()
    p:close()
    assert.is_true(proc.alive(pid))
    assert.is_true(proc.kill(pid, "KILL"))
    assert.is_true(wait_gone(pid, 2))
  end)

  it("reports exec failure", function()
    local p, msg, code = proc.spawn { argv = { "/nonexistent/postgres" } }
    assert.is_nil(p)
    assert.are.equal("/nonexistent/postgres: No such file or directory", msg)
    assert.are.equal("ENOENT", code)
  end)
end)

describe("proc helpers", function()
  it("pid, uid, alive, kill, user, which, sleep, now", function()
    assert.is_true(proc.pid() > 0)
    assert.is_true(proc.alive(proc.pid()))
    assert.is_true(proc.uid() >= 0)
    local root = assert(proc.user(0))
    assert.are.equal("root", root.name)
    assert.are.equal(0, root.gid)
    assert.is_string(root.home)
    assert.is_string(root.shell)
    local none, _, code = proc.user("dbhost-no-such-user")
    assert.is_nil(none)
    assert.are.equal("ENOENT", code)
    assert.is_truthy(proc.which("sh"):match("^/.*/sh$"))
    assert.is_nil(proc.which("dbhost-no-such-program"))
    local t0 = proc.now()
    proc.sleep(0.05)
    local dt = proc.now() - t0
    assert.is_true(dt >= 0.049 and dt < 0.5)
    _, _, code = proc.kill(2147483000, "TERM")
    assert.are.equal("ESRCH", code)
    assert.has_error(function() proc.kill(0) end)
    assert.has_error(function() proc.kill(1, "NOPE") end)
  end)
end)

describe("proc.setenv", function()
  it("sets and unsets a variable that os.getenv and children see", function()
    assert.is_nil(os.getenv("DBHOST_SETENV_SPEC"))
    assert.is_true(proc.setenv("DBHOST_SETENV_SPEC", "Root=1-abc;Sampled=1"))
    assert.are.equal("Root=1-abc;Sampled=1", os.getenv("DBHOST_SETENV_SPEC"))
    local r = assert(proc.run { argv = { "sh", "-c", 'printf %s "$DBHOST_SETENV_SPEC"' } })
    assert.are.equal("Root=1-abc;Sampled=1", r.stdout)
    assert.is_true(proc.setenv("DBHOST_SETENV_SPEC", nil))
    assert.is_nil(os.getenv("DBHOST_SETENV_SPEC"))
    assert.has_error(function() proc.setenv("A=B", "x") end)
    assert.has_error(function() proc.setenv("", "x") end)
    assert.has_error(function() proc.setenv("A", "x\0y") end)
  end)
end)
