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
-- dev database can be had, the step says so and keeps the static findings. When the replay
-- step replayed the directory on a throwaway server, the trace runs there, on a copy of the
-- dev database taken where the new files begin (check_step.trace_pause); a second server
-- is started only when the replay step did not replay (its model came from the replay cache).
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

-- plan(ws, opts) -> { files =, history =, dir =, ref = } | { skip = message } | { fail = message }:
-- which migration files the lint step lints (new against the base, or all with --full) and
-- which came before them. Cached per opts: the replay step asks first (trace_pause).
local function plan(ws, opts)
  if opts._lint_plan then return opts._lint_plan end
  local p
  local dir, derr = migdir.open(ws.dir)
  if not dir then
    p = { fail = derr }
  else
    local ref = opts.base or gitbase.default_ref()
    local at = ref and gitbase.files_at(ref, ws.dir)
    local quiet = not opts.full and (not at and "no git base to compare with (use --base REF or --full)"
      or M.unchanged(ws, opts))
    if quiet then
      p = { skip = quiet }
    else
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
      p = { dir = dir, ref = ref, files = files, history = history }
      if #files == 0 then p.skip = "no migration file is new against " .. (ref or "the base"):sub(1, 12) end
    end
  end
  opts._lint_plan = p
  return p
end

--- check_step.trace_pause(ws, opts, shared) -> pause | nil: when the lint step will trace new
-- files, the opts.pause for the replay step's dir:// load (dbhost.schema.source): the replay
-- stops where the new files begin, its dev database is copied there (trace.copy_dev) and
-- shared.url names the copy, which check_step.add then traces on instead of starting a
-- server and replaying again. nil without --trace work to do.
function M.trace_pause(ws, opts, shared)
  if opts.no_trace then return nil end
  local p = plan(ws, opts)
  if not p.files or #p.files == 0 then return nil end
  local last = p.history[#p.history]
  return {
    version = last and last.version,
    at = function(dev)
      local ok, url = pcall(trace.copy_dev, dev, last == nil)
      shared.url = ok and url or nil
    end,
  }
end

--- check_step.add(r, ws, opts [, shared]): the step; shared.url (from trace_pause), when
-- set, is the database the new files are traced on
function M.add(r, ws, opts, shared)
  r:step("new migration files pass lint", function(step)
    local p = plan(ws, opts)
    if p.fail then return step:fail(p.fail) end
    if p.skip then return step:skip(p.skip) end
    local dir, files, history = p.dir, p.files, p.history
    local dev_url = opts.dev_url or ws.config.dev or "local://postgres"
    local res = run.lint { files = files, history = history, lint_config = ws.config.lint or {},
                           pg_version = run.pg_version_of(dev_url) or "15" }
    local traced = ""
    if not opts.no_trace then
      local ok, err = pcall(trace.attach, res, {
        history = history, files = files, dev_url = dev_url, dir = dir, url = shared and shared.url,
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
