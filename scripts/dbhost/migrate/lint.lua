--- dbhost.migrate.lint: the `dbhost migrate lint` command: the latest migration files, or those
-- new against a git base, linted after the files before them.
local errors = require "dbhost.errors"
local workspace = require "dbhost.project.workspace"
local migdir = require "dbhost.migrate.dir"
local run = require "dbhost.linter.run"
local gitbase = require "dbhost.linter.gitbase"

local M = {}

--- the command's flags
M.options = workspace.with(
  { "latest", arg = "N", help = "lint the last N files" },
  { "base", arg = "REF", help = "lint the files that are new against this git ref" },
  { "format", arg = "FORMAT", choices = run.FORMATS, default = "text", help = "output format" },
  { "pg-version", arg = "N", help = "target PostgreSQL version (default: the dev URL's, else 15)" },
  { "trace", help = "also run the files on a throwaway database" },
  { "dev-url", arg = "URL", help = "throwaway database for --trace (default: dev of the env, else local://postgres)" })

--- lint.run(opts) -> exit status
function M.run(opts)
  local ws = workspace.open(opts)
  local lint_cfg = ws.config.lint or {}
  local dir, derr = migdir.open(ws.dir)
  if not dir then errors.config("%s", derr) end
  if opts.latest and opts.base then errors.usage("--latest and --base exclude each other") end
  local new = {}
  local base_info
  if opts.base then
    local at, gerr = gitbase.files_at(opts.base, ws.dir)
    if not at then errors.config("--base %s: %s", opts.base, gerr) end
    local latest
    for name in pairs(at) do
      local v = migdir.version_of(name)
      if not latest or v > latest then latest = v end
    end
    base_info = { ref = opts.base, latest = latest }
    for i, f in ipairs(dir.files) do
      if not at[f.name] then new[i] = true end
    end
  else
    local n = tonumber(opts.latest or lint_cfg.latest or 1)
    if not n or n < 0 or n % 1 ~= 0 then errors.usage("--latest must be a whole number") end
    for i = math.max(1, #dir.files - n + 1), #dir.files do new[i] = true end
  end
  local history, files = {}, {}
  for i, f in ipairs(dir.files) do
    local entry = { path = f.path, text = f:text(), version = f.version, base = base_info,
                    tx_mode = ws.config.migration and ws.config.migration.tx_mode }
    if new[i] then files[#files + 1] = entry else history[#history + 1] = entry end
  end
  local dev_url = opts.dev_url or ws.config.dev or "local://postgres"
  local res = run.lint {
    files = files, history = history, lint_config = lint_cfg,
    pg_version = opts.pg_version or run.pg_version_of(dev_url) or "15",
    trace = opts.trace, dev_url = dev_url, dir = dir,
  }
  run.print(res, opts.format, "dbhost migrate lint")
  return run.exit_status(res)
end

return M
