--- dbhost.migrate.check: `dbhost check-migrations`: the migration directory, its hashes,
-- the template and the desired schema agree.
--
-- The logic of `scripts/commands/check-migrations.lua`, which keeps only the command's
-- summary, usage and description.
local cfn = require "dbhost.cfn"
local hash = require "dbhost.hash"
local fs = require "dbhost.fs"
local report = require "dbhost.report"
local sumcheck = require "dbhost.migrate.sumcheck"
local workspace = require "dbhost.project.workspace"
local migdir = require "dbhost.migrate.dir"
local desired = require "dbhost.desired"
local diff = require "dbhost.schema.diff"
local dburl = require "dbhost.db.url"
local source = require "dbhost.schema.source"
local lint_step = require "dbhost.linter.check_step"

local M = {}

--- the command's flags
M.options = workspace.with(workspace.template_option,
  { "format", arg = "FORMAT", choices = report.formats, default = "text", help = "output format" },
  { "dev-url", arg = "URL", help = "throwaway database to replay on (default: dev of the env, else local://postgres)" },
  { "to", arg = "SRC", many = true, help = "desired schema (default: src of the env in atlas.hcl)" },
  lint_step.options[1], lint_step.options[2], lint_step.options[3])

--- check.run(opts) -> status: the report of every step on stdout (passwords masked); 1 when a step fails
function M.run(opts)
  local ws = workspace.open(opts)
  local r = report.new("check-migrations")
  local sum_path = ws.dir .. "/atlas.sum"

  r:step("MigrationHash in the template equals the atlas.sum total", function(step)
    if not ws.template then return step:skip("no CloudFormation template holding MigrationHash") end
    local recorded, err = cfn.read_migration_hash(ws.template, ws.template_resource)
    if not recorded then return step:fail(err) end
    local sum_text = fs.read(sum_path)
    if not sum_text then return step:fail(sum_path .. " is missing: run 'dbhost migrate hash'") end
    local parsed, perr = hash.parse_sum(sum_text, sum_path)
    if not parsed then
      return step:fail(("%s is not valid, so MigrationHash cannot be checked: %s"):format(sum_path, tostring(perr)))
    end
    local want = "h1:" .. parsed.total
    if recorded ~= want then
      step:fail(("%s has MigrationHash %s but %s says %s: run 'dbhost migrate hash'")
        :format(ws.template, recorded, sum_path, want))
    end
  end)

  r:step("atlas.sum matches the migration directory", function(step)
    local ok, err = sumcheck.validate(ws.dir)
    if not ok then
      local why = err.detail and (err.summary .. ": " .. err.detail) or (err.message or err.summary)
      if err.code == "ENOTFOUND" then why = sum_path .. " is missing: run 'dbhost migrate hash'" end
      step:fail((why:gsub("^atlas%.sum", sum_path)), err.text)
    end
  end)

  -- the replayed schema (dbhost.migrate.replay through the dir:// source: the executor,
  -- and the replay cache for a directory replayed before on the same dev database). When
  -- the lint step will trace new files, the replay pauses where they begin and its dev
  -- database is copied there for the trace (kept: the server stays up until the lint step).
  local have, kept
  local traced_on = {}
  r:step("migrations replay cleanly on a throwaway database", function(step)
    local quick = lint_step.unchanged(ws, opts)   -- nothing changed against the git base
    if quick then return step:skip(quick) end
    local dir, derr = migdir.open(ws.dir)
    if not dir then return step:fail(derr) end
    local dev_url = desired.dev_url(ws, opts)
    local pause = lint_step.trace_pause(ws, opts, traced_on)
    local info
    have, info = source.load("dir://" .. ws.dir, { dev_url = dev_url, pause = pause, keep = pause and "on_miss" })
    if info and type(info) == "table" and info.dev then kept = info end
    if not have or not kept then traced_on.url = nil end   -- its server is gone (or never was)
    if not have then return step:fail(info) end
    local stmts = 0
    for _, f in ipairs(dir.files) do stmts = stmts + #assert(f:statements()) end
    step:note(("%d files, %d statements on %s%s"):format(#dir.files, stmts, dburl.redact(info.used or dev_url),
      info.cached and " (replayed before: the same files on the same dev database)"
      or info.reused and (" (" .. info.reused .. ")") or ""))
  end)

  r:step("the migrations produce the desired schema", function(step)
    if lint_step.unchanged(ws, opts) then return step:skip("nothing changed against the git base") end
    if not have then return step:skip("the migrations did not replay") end
    local src = opts.to and opts.to[1] or (ws.config.src or {})[1]
    if not src then return step:skip("no desired schema (src in atlas.hcl) to compare with") end
    local want = desired.load(src, ws, opts)
    local plan, perr = diff.plan(have, want)
    if not plan then return step:fail(tostring(perr)) end
    if #plan.statements > 0 then
      return step:fail(("%s and the migrations differ: run 'dbhost create-migrations NAME' (or "
        .. "'make create-migrations NAME=...'). The migration would be:"):format(dburl.redact(src)), diff.render(plan))
    end
    step:note("in sync with " .. dburl.redact(src))
  end)
  lint_step.add(r, ws, opts, traced_on)
  if kept then
    kept.conn:close()
    kept.dev:close()
  end

  -- every password text of the URLs in play is masked, whatever message quoted it
  local secrets = dburl.secrets(desired.dev_url(ws, opts))
  for _, s in ipairs(opts.to or ws.config.src or {}) do
    for _, t in ipairs(dburl.secrets(s)) do secrets[#secrets + 1] = t end
  end
  io.stdout:write(dburl.scrub(r:render(opts.format), secrets))
  return r:exit_status()
end

return M
