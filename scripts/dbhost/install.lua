--- dbhost.install: the `dbhost install` command: the PostgreSQL server binaries (and Docker)
-- through the machine's package manager, the warm server cache, the git hook.
local proc = require "dbhost.proc"
local server = require "dbhost.db.server"
local errors = require "dbhost.errors"
local fs = require "dbhost.fs"

local function have(cmd) return proc.which(cmd) ~= nil end

-- The package manager of this machine and how to call it.
local function detect()
  local uname = proc.run { argv = { "uname", "-s" } }
  local os_name = uname and uname.stdout:gsub("%s+$", "") or "unknown"
  local sudo = {}
  if proc.uid() ~= 0 and have("sudo") then sudo = { "sudo" } end
  local function with_sudo(argv)
    local out = {}
    for _, a in ipairs(sudo) do out[#out + 1] = a end
    for _, a in ipairs(argv) do out[#out + 1] = a end
    return out
  end
  if os_name == "Darwin" then
    if not have("brew") then return nil, "Homebrew is needed on macOS: see https://brew.sh" end
    return { name = "brew", os = os_name,
             postgres = { { "brew", "install", "postgresql@16" } },
             docker = { { "brew", "install", "colima", "docker" }, { "colima", "start" } } }
  elseif have("apt-get") then
    return { name = "apt-get", os = os_name,
             postgres = { with_sudo { "apt-get", "update", "-qq" },
                          with_sudo { "apt-get", "install", "-y", "-qq", "--no-install-recommends",
                                      "postgresql", "postgresql-contrib" } },
             docker = { with_sudo { "apt-get", "install", "-y", "-qq", "docker.io" } } }
  elseif have("dnf") then
    return { name = "dnf", os = os_name,
             postgres = { with_sudo { "dnf", "install", "-y", "postgresql-server", "postgresql-contrib" } },
             docker = { with_sudo { "dnf", "install", "-y", "docker" } } }
  end
  return nil, "no supported package manager (apt-get, dnf or brew) on this machine"
end

local function docker_answers()
  if not have("docker") then return false end
  local r = proc.run { argv = { "docker", "info", "--format", "{{.ServerVersion}}" }, timeout = 10,
                       stdout = "null", stderr = "null" }
  return r ~= nil and r.status == 0
end

-- The Docker image the project's dev URL runs (docker://postgres/15/dev -> postgres:15),
-- from the env selected with --env in atlas.hcl; nil when the dev URL is not Docker's.
local function dev_image(opts)
  local ok, config = pcall(function()
    return (require("dbhost.project.config").load { file = opts.config or "atlas.hcl", env = opts.env })
  end)
  local dev = ok and config and config.dev or nil
  local image, tag = (dev or ""):match("^docker://([^/?]+)/([^/?]+)")
  if image then return image .. ":" .. tag, dev end
  return nil, dev
end

-- Where this dbhost is, and whether 'dbhost' on PATH is this one.
local function where_am_i()
  local self = fs.realpath("/proc/self/exe") or (arg and arg[0] and fs.realpath(arg[0])) or (arg and arg[0])
  local on_path = proc.which("dbhost")
  on_path = on_path and (fs.realpath(on_path) or on_path)
  if on_path and on_path == self then
    return ("dbhost is %s (on PATH)"):format(self)
  elseif on_path then
    return ("dbhost is %s; 'dbhost' on PATH is another one: %s"):format(tostring(self), on_path)
  end
  return ("dbhost is %s, not on PATH: run 'make install' (PREFIX=/usr/local by default) or add its folder to PATH")
    :format(tostring(self))
end

local M = {}

--- the command's flags
M.options = {
  { "dry-run", help = "print what would be done" },
  { "with-docker", help = "also install Docker and pull the image of the dev URL in atlas.hcl" },
  { "env", arg = "NAME", help = "env block of atlas.hcl whose dev URL names the Docker image" },
  { "config", arg = "FILE", default = "atlas.hcl", help = "project file" },
  { "git-hook", help = "install the git pre-commit hook (check-migrations on the staged tree) and nothing else" },
}

--- install.run(opts) -> exit status
function M.run(opts)
  if opts.git_hook then
    local path, action = require("dbhost.githook").install { dry_run = opts.dry_run }
    io.stdout:write(("%s %s\n"):format(action, path))
    return 0
  end
  local steps = {}
  local pm, perr = detect()
  local bindir, major = server.find_binaries()
  if bindir then
    steps[#steps + 1] = { note = ("PostgreSQL %d server binaries found in %s"):format(major, bindir) }
  else
    if not pm then errors.config("%s", perr) end
    for _, argv in ipairs(pm.postgres) do steps[#steps + 1] = { argv = argv } end
  end
  if opts.with_docker then
    if have("docker") then
      steps[#steps + 1] = { note = "docker is installed" }
    elseif pm then
      for _, argv in ipairs(pm.docker) do steps[#steps + 1] = { argv = argv } end
    else
      errors.config("%s", perr)
    end
    local image, dev = dev_image(opts)
    if image then
      steps[#steps + 1] = { docker_pull = true, argv = { "docker", "pull", image } }
    else
      steps[#steps + 1] = { note = ("nothing to pull: the dev URL (%s) does not run Docker"):format(dev or "none in atlas.hcl") }
    end
  end
  if bindir and server.cache_ready(major) then
    steps[#steps + 1] = { warm = true, ready = true,
                          note = ("the throwaway-server cache for PostgreSQL %d is ready"):format(major) }
  else
    steps[#steps + 1] = { warm = true, note = "warm the throwaway-server cache (initdb once per PostgreSQL version)" }
  end

  for _, s in ipairs(steps) do
    if s.argv then
      io.stdout:write((opts.dry_run and "would run: " or "+ "), table.concat(s.argv, " "), "\n")
      if not opts.dry_run then
        if s.docker_pull and not docker_answers() then
          io.stdout:write("  skipped: no Docker engine answers (dbhost uses local PostgreSQL binaries then)\n")
        else
          local r, err = proc.run { argv = s.argv, stdout = "inherit", stderr = "inherit", timeout = 3600 }
          if not r then errors.failed("%s: %s", s.argv[1], err) end
          if r.status ~= 0 then errors.failed("%s exited with status %s", table.concat(s.argv, " "), tostring(r.status or r.signal)) end
        end
      end
    elseif s.warm then
      io.stdout:write((opts.dry_run and not s.ready and "would " or ""), s.note, "\n")
      if not opts.dry_run then
        local srv, err = server.start()
        if not srv then errors.failed("%s", err) end
        io.stdout:write(("  PostgreSQL %d ready in %.0f ms\n"):format(srv.major, srv.started_in * 1000))
        srv:stop()
      end
    else
      io.stdout:write(s.note, "\n")
    end
  end
  io.stdout:write(where_am_i(), "\n")
  return 0
end

return M
