-- dbhost check-migrations: prove that the migration directory, its hashes and the template agree.
local cfn = require "dbhost.cfn"
local hash = require "dbhost.hash"
local fs = require "dbhost.fs"
local report = require "dbhost.report"
local sumcheck = require "dbhost.sumcheck"
local workspace = require "dbhost.workspace"
local devdb = require "dbhost.devdb"
local executor = require "dbhost.migrate.executor"
local migdir = require "dbhost.migrate.dir"
local target = require "dbhost.migrate.target"
local apply = require "dbhost.migrate.apply"
local revisions = require "dbhost.migrate.revisions"
local desired = require "dbhost.desired"
local inspect = require "dbhost.schema.inspect"
local diff = require "dbhost.schema.diff"
local lint_step = require "dbhost.linter.check_step"

return {
  summary = "Check MigrationHash, atlas.sum and the migrations (pre-commit hook and CI)",
  usage = "dbhost check-migrations [--dir DIR] [--env NAME] [--format text|markdown|json]",
  description = [[
Steps, each shown with its outcome and time (exit 1 if any fails):
  1. MigrationHash in the CloudFormation template equals the atlas.sum total;
  2. atlas.sum matches the migration directory (Atlas's checksum rules);
  3. the migrations replay cleanly on a throwaway database (the env's dev URL:
     docker://postgres/15/dev runs a local PostgreSQL 15 when no Docker engine
     answers; --dev-url overrides); a failure names file, line, column and SQLSTATE;
  4. the replayed schema equals the desired schema (src of the env in atlas.hcl,
     or --to); otherwise it prints the statements that are missing and says to
     run create-migrations.]],
  options = workspace.with(workspace.template_option,
    { "format", arg = "FORMAT", choices = report.formats, default = "text", help = "output format" },
    { "dev-url", arg = "URL", help = "throwaway database to replay on (default: dev of the env, else local://postgres)" },
    { "to", arg = "SRC", many = true, help = "desired schema (default: src of the env in atlas.hcl)" },
    lint_step.options[1], lint_step.options[2], lint_step.options[3]),
  run = function(opts)
    local ws = workspace.open(opts)
    local r = report.new("check-migrations")
    local sum_path = ws.dir .. "/atlas.sum"

    r:step("MigrationHash in the template equals the atlas.sum total", function(step)
      if not ws.template then return step:skip("no CloudFormation template in this project") end
      local recorded, err = cfn.read_migration_hash(ws.template)
      if not recorded then return step:fail(err) end
      local sum_text = fs.read(sum_path)
      local parsed, perr = sum_text and hash.parse_sum(sum_text, sum_path)
      if not sum_text then return step:fail(sum_path .. " is missing: run 'dbhost migrate hash'") end
      if not parsed then return step:fail(perr) end
      local want = "h1:" .. parsed.total
      if recorded ~= want then
        step:fail(("%s has MigrationHash %s but %s says %s: run 'dbhost migrate hash'")
          :format(ws.template, recorded, sum_path, want))
      end
    end)

    r:step("atlas.sum matches the migration directory", function(step)
      local ok, err = sumcheck.validate(ws.dir)
      if not ok then step:fail(err.message or err.summary, err.text) end
    end)

    -- the dev database stays up for the comparison step
    local dev, conn
    r:step("migrations replay cleanly on a throwaway database", function(step)
      local quick = lint_step.unchanged(ws, opts)   -- nothing changed against the git base
      if quick then return step:skip(quick) end
      local dir, derr = migdir.open(ws.dir)
      if not dir then return step:fail(derr) end
      local dev_url = desired.dev_url(ws, opts)
      local err
      dev, err = devdb.open(dev_url)
      if not dev then return step:fail(err) end
      conn = target.connect(dev.url)
      -- revisions in their own schema, so that they never count as part of the schema
      local ex = executor.new { conn = conn.conn, dir = dir, schema = revisions.DEFAULT_SCHEMA }
      local outcome = ex:execute(ex:plan {})
      if outcome.failure then return step:fail((apply.describe_failure(outcome.failure))) end
      local stmts = 0
      for _, f in ipairs(dir.files) do stmts = stmts + #assert(f:statements()) end
      step:note(("%d files, %d statements on %s"):format(#dir.files, stmts, dev_url))
    end)

    r:step("the migrations produce the desired schema", function(step)
      if lint_step.unchanged(ws, opts) then return step:skip("nothing changed against the git base") end
      if not conn then return step:skip("the migrations did not replay") end
      local src = opts.to and opts.to[1] or (ws.config.src or {})[1]
      if not src then return step:skip("no desired schema (src in atlas.hcl) to compare with") end
      local have, ierr = inspect.inspect(conn.conn, dev.schema and { schemas = { dev.schema } } or nil)
      if not have then return step:fail(tostring(ierr)) end
      local want = desired.load(src, ws, opts)
      local plan, perr = diff.plan(have, want)
      if not plan then return step:fail(tostring(perr)) end
      if #plan.statements > 0 then
        return step:fail(("%s and the migrations differ: run 'dbhost create-migrations NAME' (or "
          .. "'make create-migrations NAME=...'). The migration would be:"):format(src), diff.render(plan))
      end
      step:note("in sync with " .. src)
    end)
    if conn then conn:close() end
    if dev then dev:close() end
    lint_step.add(r, ws, opts)

    io.stdout:write(r:render(opts.format))
    return r.ok and 0 or 1
  end,
}
