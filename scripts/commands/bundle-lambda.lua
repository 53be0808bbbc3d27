-- dbhost bundle-lambda: the Lambda layer (runtime) and function (migrations) packages.
local bundle = require "dbhost.aws.bundle"
local workspace = require "dbhost.project.workspace"
local fs = require "dbhost.fs"

local function size(n)
  if n >= 1024 * 1024 then return ("%.1f MB"):format(n / 1024 / 1024) end
  return ("%.1f kB"):format(n / 1024)
end

return {
  summary = "Build the AWS Lambda layer (dbhost as a custom runtime) and function (migrations) zips",
  usage = "dbhost bundle-lambda [--out DIR] [--dir DIR] [--rds-ca FILE]",
  description = [[
Writes DIR/layer.zip: bootstrap, bin/dbhost, the bundled scripts and the shared
libraries dbhost needs that Amazon Linux 2023 lacks (libpq, libyaml, lua-cjson,
libcurl, OpenSSL, ...; never glibc). The layer works from any folder it is
extracted to (Lambda uses /opt) and its libraries win over the system's. The
build stops, naming the file and the symbol, when anything needs a glibc newer
than 2.34 (Amazon Linux 2023's). Writes DIR/function.zip: the migration
directory (as migrations/, with atlas.sum) and atlas.hcl. Deploy both with the
template cloud-formation.yaml (sam build && sam deploy).]],
  options = workspace.with(
    { "out", arg = "DIR", default = "build/lambda", help = "where layer.zip and function.zip go" },
    { "rds-ca", arg = "FILE", help = "RDS CA bundle to ship (makes sslmode verify-full the default)" },
    { "only", arg = "KIND", choices = { "layer", "function" }, help = "build only this package" },
    { "glibc-max", arg = "VERSION", default = "2.34",
      help = "newest glibc the layer may need (2.34: Amazon Linux 2023, provided.al2023)" }
  ),
  args = { min = 0, max = 0 },
  run = function(opts)
    -- the layer alone needs no project
    local ws = opts.only == "layer" and {} or workspace.open(opts)
    if opts.rds_ca and not fs.stat(opts.rds_ca) then
      require("dbhost.errors").config("--rds-ca: %s does not exist", opts.rds_ca)
    end
    local glibc_max = {}
    for n in opts.glibc_max:gmatch("[^.]+") do glibc_max[#glibc_max + 1] = math.tointeger(tonumber(n)) end
    if #glibc_max < 2 or #glibc_max > 3 or not glibc_max[#glibc_max] then
      require("dbhost.errors").usage("--glibc-max: a version such as 2.34 expected, got %q", opts.glibc_max)
    end
    local res = bundle.build { out = opts.out, migrations = ws.dir, hcl = opts.config or "atlas.hcl",
                               rds_ca = opts.rds_ca, only = opts.only, glibc_max = glibc_max }
    if res.layer then
      io.stdout:write(("%s  %s (%d shared libraries)\n"):format(res.layer, size(res.layer_size), #res.libs))
    end
    if res.fn then io.stdout:write(("%s  %s\n"):format(res.fn, size(res.fn_size))) end
    return 0
  end,
}
