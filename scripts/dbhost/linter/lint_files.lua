--- dbhost.linter.lint_files: the `dbhost lint` command: SQL files linted outside a migration
-- directory too (for editors and tools); `--rules` lists the rules.
local errors = require "dbhost.errors"
local fs = require "dbhost.fs"
local linter = require "dbhost.linter"
local run = require "dbhost.linter.run"
local project = require "dbhost.project.config"

local M = {}

--- the command's flags
M.options = {
  { "pg-version", arg = "N", help = "target PostgreSQL version, e.g. 15 or 14.2 (default: --dev-url's with --trace, else 15)" },
  { "tx-mode", arg = "MODE", choices = { "file", "none" }, help = "does the runner wrap each file in a transaction",
    default = "file" },
  { "format", arg = "FORMAT", choices = run.FORMATS, default = "text", help = "output format" },
  { "config", arg = "FILE", help = "project file with a lint block", default = "atlas.hcl" },
  { "env", arg = "NAME", help = "env block of atlas.hcl to use" },
  { "trace", help = "also run the files on a throwaway database and report locks, rewrites and scans" },
  { "dev-url", arg = "URL", help = "throwaway database for --trace", default = "local://postgres" },
  { "stdin-filepath", arg = "PATH", help = "the name findings give a file read from standard input (FILE \"-\")" },
  { "rules", help = "list the rules and exit" },
}

--- lint_files.run(opts, args) -> exit status
function M.run(opts, args)
  if opts.rules then
    for _, r in ipairs(linter.load_rules()) do
      local names = { r.name ~= r.code and r.name or nil }
      for _, a in ipairs(r.aliases) do names[#names + 1] = a end
      io.stdout:write(("%-40s %-8s %s%s%s\n"):format(r.code, r.severity, r.summary or "",
        #names > 0 and (" [" .. table.concat(names, ", ") .. "]") or "", r.opt_in and " (opt-in)" or ""))
    end
    return 0
  end
  if #args == 0 then errors.usage("'lint' needs one or more SQL files (see 'dbhost lint --help')") end
  local lint_config = {}
  if fs.stat(opts.config) then
    local cfg, err = project.load { file = opts.config, env = opts.env }
    if not cfg then errors.config("%s", err) end
    lint_config = cfg.lint or {}
  elseif opts.config ~= "atlas.hcl" then
    errors.config("project file %s does not exist", opts.config)
  end
  local res = run.lint {
    files = linter.read_files(args, nil, opts.stdin_filepath), lint_config = lint_config,
    pg_version = opts.pg_version or (opts.trace and run.pg_version_of(opts.dev_url)) or "15",
    tx_mode = opts.tx_mode, trace = opts.trace, dev_url = opts.dev_url,
  }
  run.print(res, opts.format)
  return run.exit_status(res)
end

return M
