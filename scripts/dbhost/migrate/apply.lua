--- dbhost.migrate.apply: the `dbhost apply` / `dbhost migrate apply` command.
local errors = require "dbhost.errors"
local cli = require "dbhost.cli"
local executor = require "dbhost.migrate.executor"
local migdir = require "dbhost.migrate.dir"
local connect = require "dbhost.db.connect"
local dburl = require "dbhost.db.url"
local json = require "dbhost.json"
local proc = require "dbhost.proc"
local fs = require "dbhost.fs"
local workspace = require "dbhost.project.workspace"
local sumcheck = require "dbhost.migrate.sumcheck"
local duration = require "dbhost.duration"
local failure = require "dbhost.migrate.failure"

local M = {}

M.options = workspace.with(
  { "url", arg = "URL", help = "database to migrate (default: url of the env in atlas.hcl, else $DATABASE_URL)" },
  { "dry-run", help = "print the SQL that would run; change nothing" },
  { "baseline", arg = "VERSION", help = "on a database without revisions, treat VERSION and earlier as applied" },
  { "to-version", arg = "VERSION", help = "apply up to and including VERSION" },
  { "allow-dirty", help = "allow a first apply on a database that already has tables" },
  { "tx-mode", arg = "MODE", choices = { "file", "all", "none" },
    help = "one transaction per file (default), one for all files, or none; else migration.tx_mode in atlas.hcl" },
  { "exec-order", arg = "ORDER", choices = { "linear", "linear-skip", "non-linear" },
    help = "what to do with files added before the last applied version (default linear, or migration.exec_order)" },
  { "lock-timeout", arg = "DURATION", help = "how long to wait for another applier's lock, and for locks on the revisions table (default 10s, or migration.lock_timeout)" },
  { "stmt-lock-timeout", arg = "DURATION", default = "5s",
    help = "PostgreSQL lock_timeout for migration statements (0 = wait forever)" },
  { "stmt-timeout", arg = "DURATION", default = "0", help = "PostgreSQL statement_timeout for migration statements" },
  { "revisions-schema", arg = "SCHEMA", help = "schema of the revisions table (default: the URL's search_path, else atlas_schema_revisions)" },
  { "format", arg = "FORMAT", choices = { "text", "json" }, default = "text", help = "output format" },
  { "verbose", help = "print each statement as it runs" }
)

local function ms(seconds)
  if seconds < 1 then return ("%.0fms"):format(seconds * 1000) end
  return ("%.2fs"):format(seconds)
end

local function plural(n, word) return ("%d %s%s"):format(n, word, n == 1 and "" or "s") end

-- A version given on the command line must name a file of the directory: a typo
-- must not apply one file too many, or everything. Raises a config error (exit 2)
-- naming the closest versions: the most similar ones, then the neighbours in order.
local function check_version(dir, flag, version)
  if not version or dir.by_version[version] then return end
  local versions = {}
  for i, f in ipairs(dir.files) do versions[i] = f.version end
  local closest, seen = {}, {}
  local function add(v)
    if v and not seen[v] and #closest < 3 then seen[v] = true closest[#closest + 1] = v end
  end
  for _, v in ipairs(cli.nearest(version, versions, math.max(2, #version // 2))) do add(v) end
  local before, after
  for _, v in ipairs(versions) do
    if v < version then before = v elseif not after then after = v end
  end
  add(before) add(after)
  errors.config("--%s %s: no migration file has this version (closest: %s)", flag, version,
    #closest > 0 and table.concat(closest, ", ") or "none, the directory is empty")
end

--- apply.run(opts, args) -> status
function M.run(opts, args)
  local amount
  if args[1] then
    amount = math.tointeger(tonumber(args[1]))
    if not amount or amount < 1 then
      errors.usage("invalid amount argument %q: omit it or pass a positive number of files", args[1])
    end
  end
  local ws = workspace.open(opts)
  -- atlas.hcl's migration block, as the Lambda handler reads it; a flag wins
  local settings = workspace.migration_settings(ws.config)
  opts.tx_mode = opts.tx_mode or settings.tx_mode or "file"
  opts.exec_order = opts.exec_order or settings.exec_order
  opts.baseline = opts.baseline or settings.baseline
  local lock_text = opts.lock_timeout or settings.lock_timeout
  local lock_timeout = duration.parse(lock_text)
  if not lock_timeout then errors.usage("--lock-timeout: not a duration: %q", lock_text) end
  local dir, derr = migdir.open(ws.dir)
  if not dir then errors.config("%s", derr) end
  check_version(dir, "to-version", opts.to_version)
  check_version(dir, "baseline", opts.baseline)
  sumcheck.require_valid(ws.dir, dir.sum_text, opts.format == "json")
  local url = connect.url_of(opts, ws)
  local conn <close> = connect.target(url)
  local ex = executor.new {
    conn = conn.conn, dir = dir, tx_mode = opts.tx_mode,
    schema = opts.revisions_schema or settings.revisions_schema,
    url_schema = conn.schema,
    stmt_lock_timeout = opts.stmt_lock_timeout, stmt_timeout = opts.stmt_timeout,
    progress_lock_timeout = ("%dms"):format(math.max(1, math.floor(lock_timeout * 1000))),
  }
  local json_out = opts.format == "json"
  local tty = not json_out and fs.isatty(1)
  local verbose = opts.verbose and not json_out
  local t0 = proc.now()
  local index, count = 0, 0
  local statements = 0
  ex.log = function(ev)
    if opts.dry_run and not json_out then
      if ev.kind == "file" then
        io.stdout:write(("-- %s (version %s)\n"):format(ev.file.name, ev.file.version))
      elseif ev.kind == "stmt" then
        io.stdout:write(ev.stmt.text, "\n")
      end
      return
    end
    if ev.kind == "file" then
      index = index + 1
      if tty or verbose then
        io.stdout:write(("[%d/%d] %s%s"):format(index, count, ev.file.name,
          ev.resume_at > 0 and (" (resuming after statement %d)"):format(ev.resume_at) or ""),
          verbose and "\n" or " ... ")
        io.stdout:flush()
      end
    elseif ev.kind == "stmt" then
      statements = statements + 1
      if verbose then io.stdout:write("    -> ", ev.stmt.text:gsub("\n", "\n       "), "\n") end
    elseif ev.kind == "file_done" then
      if tty or verbose then io.stdout:write(verbose and "  " or "", "ok (", ms(ev.seconds), ")\n") end
    elseif ev.kind == "warning" then
      io.stderr:write("dbhost: warning: ", ev.message, "\n")
    end
  end

  ex:lock(lock_timeout)
  local plan = ex:plan {
    baseline = opts.baseline, allow_dirty = opts.allow_dirty, to_version = opts.to_version,
    amount = amount, exec_order = opts.exec_order,
  }
  count = #plan.pending
  local result = { pending = {}, applied = {}, current = plan.current, dry_run = opts.dry_run or false }
  -- migrations are named as `status` names them: { version=, file= }
  local function named(f) return { version = f.version, file = f.name } end
  for i, f in ipairs(plan.pending) do result.pending[i] = named(f) end
  if count == 0 then
    ex:unlock()
    if json_out then
      result.message = "No migration files to execute"
      io.stdout:write(json.encode(result), "\n")
    else
      io.stdout:write("No migration files to execute\n")
    end
    return 0
  end
  local target_version = plan.pending[count].version
  result.target = target_version
  if (tty or verbose) and not opts.dry_run then
    io.stdout:write(("Migrating to version %s%s (%s in total):\n"):format(target_version,
      plan.current and (" from " .. plan.current) or "", plural(count, "migration")))
  end
  local outcome = ex:execute(plan, { dry_run = opts.dry_run })
  ex:unlock()
  local elapsed = proc.now() - t0
  for i, f in ipairs(outcome.applied) do result.applied[i] = named(f) end
  if outcome.failure then
    if tty then io.stdout:write("FAILED\n") end
    error(failure.error(outcome.failure, dburl.secrets(url)), 0)
  end
  if json_out then
    result.seconds = elapsed
    io.stdout:write(json.encode(result), "\n")
  elseif not opts.dry_run then
    io.stdout:write(("Migrated to version %s%s: %s, %s in %s\n"):format(target_version,
      plan.current and (" from " .. plan.current) or "", plural(#outcome.applied, "migration"),
      plural(statements, "statement"), ms(elapsed)))
  end
  return 0
end

return M
