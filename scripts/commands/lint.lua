-- dbhost lint: lint SQL files (outside a migration directory too), for editors and tools.
local errors = require "dbhost.errors"
local fs = require "dbhost.fs"
local linter = require "dbhost.linter"
local run = require "dbhost.linter.run"
local project = require "dbhost.project.config"

return {
  summary = "Lint SQL migration files for locking, rewrite and compatibility hazards",
  usage = "dbhost lint [--pg-version N] [--tx-mode file|none] [--format text|json|markdown|github] [--trace] FILE...",
  description = [[
Each statement is parsed by PostgreSQL 15's parser (libpg_query) and checked by
the rules in scripts/dbhost/lint/ (Atlas's codes DS, MF, BC, CD, PG, NM; squawk's
rule names; dbhost's DH codes). Files are linted in the order given ("-" is
standard input); each sees what the earlier ones created. `-- atlas:nolint [CODE...]`, `-- squawk-ignore
NAME` and `-- squawk-ignore-file` are honoured. Severities come from atlas.hcl's
lint block when a project file is present (--config). `dbhost lint --rules`
lists every rule.

--trace also runs the files on a throwaway database (--dev-url, default
local://postgres) with a few rows in every table and reports the locks each
statement took, the tables it rewrote and scanned.

Exit status: 0 no error finding, 1 an error finding, 2 usage or config error.]],
  options = {
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
  },
  args = { min = 0, name = "one or more SQL files" },
  run = function(opts, args)
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
  end,
}
