--- dbhost.linter.check_step: the lint step of check-migrations, self-contained.
--
--   check_step.options          -- flags to append to check-migrations' options (--base, --full)
--   check_step.add(r, ws, opts) -- r: a dbhost.report; lints the migration files that are
--                                  new against the base (static rules, and non-linear history)
-- The base is --base REF, else the merge-base with the upstream branch or origin/main.
-- Without --full, when neither the migration directory nor the desired-schema files
-- (nor atlas.hcl) changed against the base, the step says so and skips;
-- check_step.unchanged(ws, opts) lets the replay and comparison steps skip too. The new files are also run on
-- the dev database (lint by execution, dbhost.linter.trace) unless --no-trace; when no
-- dev database can be had, the step says so and keeps the static findings.
local migdir = require "dbhost.migrate.dir"
local run = require "dbhost.linter.run"
local gitbase = require "dbhost.linter.gitbase"
local render = require "dbhost.linter.render"
local trace = require "dbhost.linter.trace"

local M = {}

M.options = {
  { "base", arg = "REF", help = "git ref the lint step compares with (default: merge-base with upstream or origin/main)" },
  { "full", help = "lint every migration file even when nothing changed against the base" },
  { "no-trace", help = "lint the new files statically only (default: also run them on the dev database)" },
}

-- The paths whose change against the base matters: the migration directory, the
-- desired schema's files (file:// sources) and the project file. nil when the desired
-- schema is not files (a database, an ORM's schema printer): then any change may matter.
local function watched_paths(ws, opts)
  local paths = { ws.dir, opts.config or "atlas.hcl" }
  for _, src in ipairs(opts.to or ws.config.src or {}) do
    if type(src) ~= "string" then return nil end
    local p = src:match("^file://(.*)$") or (not src:match("^%a[%w+.-]*://") and src)
    if not p then return nil end
    paths[#paths + 1] = p
  end
  return paths
end

--- check_step.unchanged(ws, opts) -> message | nil: why check-migrations may skip replaying,
-- i.e. nothing it checks changed against the base (nil with --full, without a base, or
-- when anything changed). Cached per opts, so every step asks once.
function M.unchanged(ws, opts)
  if opts.full then return nil end
  if opts._unchanged ~= nil then return opts._unchanged or nil end
  local ref = opts.base or gitbase.default_ref()
  local msg = false
  local paths = watched_paths(ws, opts)
  if ref and paths and gitbase.files_at(ref, ws.dir) then
    if gitbase.changed(ref, paths) == false then
      msg = ("neither %s nor the desired schema changed against %s (--full checks anyway)")
        :format(ws.dir, opts.base or ref:sub(1, 12))
    end
  end
  opts._unchanged = msg
  return msg or nil
end

function M.add(r, ws, opts)
  r:step("new migration files pass lint", function(step)
    local dir, derr = migdir.open(ws.dir)
    if not dir then return step:fail(derr) end
    local ref = opts.base or gitbase.default_ref()
    local at = ref and gitbase.files_at(ref, ws.dir)
    if not opts.full then
      if not at then return step:skip("no git base to compare with (use --base REF or --full)") end
      local quiet = M.unchanged(ws, opts)
      if quiet then return step:skip(quiet) end
    end
    local latest
    for name in pairs(at or {}) do
      local v = migdir.version_of(name)
      if not latest or v > latest then latest = v end
    end
    local history, files = {}, {}
    for _, f in ipairs(dir.files) do
      local is_new = not at or not at[f.name]
      local entry = { path = f.path, text = f:text(), version = f.version,
                      base = (at and is_new) and { ref = opts.base or ref:sub(1, 12), latest = latest } or nil }
      if opts.full or is_new then files[#files + 1] = entry else history[#history + 1] = entry end
    end
    if #files == 0 then return step:skip("no migration file is new against " .. ref:sub(1, 12)) end
    local dev_url = opts.dev_url or ws.config.dev or "local://postgres"
    local res = run.lint { files = files, history = history, lint_config = ws.config.lint or {},
                           pg_version = run.pg_version_of(dev_url) or "15" }
    local traced = ""
    if not opts.no_trace then
      local ok, err = pcall(trace.attach, res, {
        history = history, files = files, dev_url = dev_url, dir = dir,
      })
      traced = ok and ", measured on the dev database" or ("; not measured: " .. tostring(err))
    end
    local c = res.counts
    local summary = ("%d file(s): %d error(s), %d warning(s), %d info%s"):format(#files, c.error, c.warning,
      c.info, traced)
    if c.error > 0 then return step:fail(summary, render.text(res)) end
    local lines = { summary }
    for _, f in ipairs(res.findings) do
      lines[#lines + 1] = ("%s:%d:%d: %s %s: %s"):format(f.file, f.line, f.column, f.severity, f.code, f.message)
      if f.trace then lines[#lines + 1] = "  measured: " .. render.facts_text(f.trace) end
      if f.disagreement then lines[#lines + 1] = "  trace disagrees: " .. f.disagreement end
    end
    for _, d in ipairs(res.disagreements or {}) do
      lines[#lines + 1] = ("%s:%d:%d: trace: %s"):format(d.file, d.line, d.column, d.message)
    end
    step:note(table.concat(lines, "\n"))
  end, { independent = true })
end

return M
