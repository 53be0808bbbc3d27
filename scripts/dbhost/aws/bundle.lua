--- dbhost.aws.bundle: the Lambda layer and function packages (dbhost bundle-lambda).
--
-- layer.zip (extracted by Lambda into /opt; works from any folder):
--   bootstrap                the runtime's entry point: runs bin/dbhost lambda runtime and
--                            posts /runtime/init/error itself when that cannot start
--   bin/dbhost               this binary (stripped); its DT_RPATH $ORIGIN/../lib makes
--                            the bundled libraries win over the system's
--   lib/*.so.*               every shared library dbhost needs except glibc's own
--   lib/lua/5.4/cjson.so     lua-cjson (found on the host's package.cpath)
--   scripts/                 the bundled Lua scripts (handlers/migrate.lua ...)
--   share/rds-ca-bundle.pem  with --rds-ca: the RDS CA bundle (sslmode verify-full)
-- function.zip (the function code, /var/task):
--   migrations/*.sql, migrations/atlas.sum, atlas.hcl
--
-- Amazon Linux 2023 has glibc 2.34: every ELF file in the layer is checked with
-- objdump, and a symbol that needs a newer glibc stops the build, naming the
-- file and the symbol.
local fs = require "dbhost.fs"
local proc = require "dbhost.proc"
local host = require "dbhost.host"
local errors = require "dbhost.errors"

local M = {}

M.MAX_GLIBC = { 2, 34 }

-- glibc's own libraries: Lambda's system provides them, so they are never bundled.
M.GLIBC_LIBS = {
  ["linux-vdso.so.1"] = true, ["ld-linux-x86-64.so.2"] = true, ["ld-linux-aarch64.so.1"] = true,
  ["libc.so.6"] = true, ["libm.so.6"] = true, ["libdl.so.2"] = true, ["libpthread.so.0"] = true,
  ["librt.so.1"] = true, ["libresolv.so.2"] = true, ["libutil.so.1"] = true, ["libanl.so.1"] = true,
  ["libnsl.so.1"] = true, ["libBrokenLocale.so.1"] = true, ["libmvec.so.1"] = true,
  ["libnss_files.so.2"] = true, ["libnss_dns.so.2"] = true, ["libthread_db.so.1"] = true,
}

local function run(argv, opts)
  opts = opts or {}
  opts.argv = argv
  local res, err = proc.run(opts)
  if not res then errors.failed("%s: %s", argv[1], err) end
  if res.status ~= 0 then
    errors.failed("%s failed (exit %s): %s", table.concat(argv, " "), tostring(res.status),
      (res.stderr or ""):sub(1, 800))
  end
  return res
end

local function copy(from, to, mode)
  local data, err = fs.read(from)
  if not data then errors.failed("%s", err) end
  local ok, werr = fs.write(to, data, mode or 420)
  if not ok then errors.failed("%s", werr) end
end

local function mkdirs(path)
  local acc = path:sub(1, 1) == "/" and "" or "."
  for part in path:gmatch("[^/]+") do
    acc = acc .. "/" .. part
    local ok, err, code = fs.mkdir(acc)
    if not ok and code ~= "EEXIST" then errors.failed("%s", err) end
  end
end

--- bundle.shared_libraries(elf_files) -> { {soname=, path=}, ... } (glibc excluded), sorted
-- Uses ldd, which resolves what the dynamic loader would load on this machine.
function M.shared_libraries(files)
  local seen, list = {}, {}
  for _, f in ipairs(files) do
    local res = run { "ldd", f }
    for line in res.stdout:gmatch("[^\n]+") do
      local name, path = line:match("^%s*(%S+)%s+=>%s+(/%S+)")
      if name and not seen[name] and not M.GLIBC_LIBS[name] then
        seen[name] = true
        list[#list + 1] = { soname = name, path = path }
      elseif line:match("=>%s+not found") then
        errors.failed("%s needs %s, which is not installed", f, line:match("^%s*(%S+)"))
      end
    end
  end
  table.sort(list, function(a, b) return a.soname < b.soname end)
  return list
end

local function version_newer(v, max)
  local nums = {}
  for n in v:gmatch("%d+") do nums[#nums + 1] = tonumber(n) end
  for i = 1, math.max(#nums, #max) do
    local a, b = nums[i] or 0, max[i] or 0
    if a ~= b then return a > b end
  end
  return false
end

--- bundle.glibc_too_new(file [, max]) -> { {symbol=, version=}, ... } needing a glibc newer than max ({2, 34})
function M.glibc_too_new(file, max)
  max = max or M.MAX_GLIBC
  local res = run { "objdump", "-T", file }
  local bad = {}
  for line in res.stdout:gmatch("[^\n]+") do
    local version, symbol = line:match("%(?GLIBC_([%d%.]+)%)?%s+(%S+)%s*$")
    if version and line:find("*UND*", 1, true) and version_newer(version, max) then
      bad[#bad + 1] = { symbol = symbol, version = "GLIBC_" .. version }
    end
  end
  return bad
end

local function is_elf(path)
  local data = fs.read(path)
  return data ~= nil and data:sub(1, 4) == "\127ELF"
end

local function walk(dir, prefix, out)
  for _, name in ipairs(assert(fs.list(dir))) do
    local p = dir .. "/" .. name
    local st = fs.stat(p, true)
    if st.type == "directory" then walk(p, prefix .. name .. "/", out)
    elseif st.type == "file" then out[#out + 1] = { path = p, rel = prefix .. name } end
  end
  return out
end

local function zip(staging, target)
  fs.remove(target)
  -- -X: no extra attributes (reproducible); -r recursive; unix modes (exec bits) are kept
  run({ "zip", "-q", "-X", "-r", "-9", target, "." }, { cwd = staging })
end

--- bundle.exe_paths() -> dbhost, bootstrap: this binary and the bootstrap beside it
function M.exe_paths()
  local exe = fs.realpath("/proc/self/exe")
  if not exe then errors.failed("cannot find the dbhost binary (/proc/self/exe)") end
  local dir = exe:match("^(.*)/[^/]+$")
  for _, cand in ipairs { dir .. "/bootstrap", dir .. "/../bootstrap" } do
    local st = fs.stat(cand)
    if st and st.type == "file" then return exe, (fs.realpath(cand)) end
  end
  errors.failed("no bootstrap beside %s: build it with 'make build' (target bootstrap)", exe)
end

--- bundle.build{ out=, migrations=, hcl=, rds_ca=, only= "layer"|"function"|nil, glibc_max= {2, 34} }
--   -> { layer=, layer_size=, fn=, fn_size=, libs= } (only what was built)
function M.build(o)
  local want_layer, want_fn = o.only ~= "function", o.only ~= "layer"
  local dbhost, bootstrap
  if want_layer then dbhost, bootstrap = M.exe_paths() end
  mkdirs(o.out)
  local out = assert(fs.realpath(o.out))
  local staging = assert(fs.mkdtemp("bundle", out))
  local ok, res = pcall(function()
    local res = {}
    if want_layer then res.libs = M.build_layer(staging .. "/layer", dbhost, bootstrap, o.rds_ca, o.glibc_max) end
    if want_fn then M.build_function(staging .. "/function", o.migrations, o.hcl) end
    for _, kind in ipairs { "layer", "function" } do
      if (kind == "layer" and want_layer) or (kind == "function" and want_fn) then
        local name = kind .. ".zip"
        zip(staging .. "/" .. kind, staging .. "/" .. name)
        assert(fs.rename(staging .. "/" .. name, out .. "/" .. name))
        local key = kind == "layer" and "layer" or "fn"
        res[key] = out .. "/" .. name
        res[key .. "_size"] = fs.stat(out .. "/" .. name).size
      end
    end
    return res
  end)
  fs.rmtree(staging)
  if not ok then error(res, 0) end
  return res
end

--- bundle.build_layer(layer, dbhost, bootstrap, rds_ca, glibc_max) -> libs: fills the layer folder
function M.build_layer(layer, dbhost, bootstrap, rds_ca, glibc_max)
  glibc_max = glibc_max or M.MAX_GLIBC
  mkdirs(layer .. "/bin")
  mkdirs(layer .. "/lib/lua/5.4")
  copy(bootstrap, layer .. "/bootstrap", 493)
  copy(dbhost, layer .. "/bin/dbhost", 493)
  run { "strip", "--strip-unneeded", layer .. "/bin/dbhost" }
  run { "strip", "--strip-unneeded", layer .. "/bootstrap" }
  local cjson = package.searchpath("cjson", package.cpath)
  if not cjson then errors.failed("lua-cjson (cjson.so) is not on the Lua C path: install lua-cjson") end
  copy(assert(fs.realpath(cjson)), layer .. "/lib/lua/5.4/cjson.so", 420)
  local libs = M.shared_libraries { dbhost, cjson }
  for _, l in ipairs(libs) do copy(assert(fs.realpath(l.path)), layer .. "/lib/" .. l.soname, 420) end
  for _, rel in ipairs(host.bundle_list()) do
    local path = layer .. "/scripts/" .. rel
    mkdirs(path:match("^(.*)/[^/]+$"))
    assert(fs.write(path, host.bundle_read(rel), 420))
  end
  if rds_ca then
    mkdirs(layer .. "/share")
    copy(rds_ca, layer .. "/share/rds-ca-bundle.pem", 420)
  end
  -- glibc: nothing in the layer may need more than Amazon Linux 2023 has
  local problems = {}
  for _, f in ipairs(walk(layer, "", {})) do
    if is_elf(f.path) then
      for _, b in ipairs(M.glibc_too_new(f.path, glibc_max)) do
        problems[#problems + 1] = ("%s needs %s from %s"):format(f.rel, b.symbol, b.version)
      end
    end
  end
  if #problems > 0 then
    errors.failed("the layer would not run on Amazon Linux 2023 (glibc %s):\n  %s", table.concat(glibc_max, "."),
      table.concat(problems, "\n  "))
  end
  return libs
end

--- bundle.build_function(fn, migrations, hcl): fills the function-code folder
function M.build_function(fn, migrations, hcl)
  mkdirs(fn .. "/migrations")
  for _, name in ipairs(assert(fs.list(migrations))) do
    local st = fs.stat(migrations .. "/" .. name)
    if st and st.type == "file" then copy(migrations .. "/" .. name, fn .. "/migrations/" .. name, 420) end
  end
  if not fs.stat(fn .. "/migrations/atlas.sum") then
    errors.failed("%s has no atlas.sum: run 'dbhost migrate hash' first", migrations)
  end
  if hcl and fs.stat(hcl) then copy(hcl, fn .. "/atlas.hcl", 420) end
end

return M
