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

return {
  summary = "Check MigrationHash, atlas.sum and the migrations (pre-commit hook and CI)",
  usage = "dbhost check-migrations [--dir DIR] [--env NAME] [--format text|markdown|json]",
  description = [[
Steps, each shown with its outcome and time (exit 1 if any fails):
  1. MigrationHash in the CloudFormation template equals the atlas.sum total;
  2. atlas.sum matches the migration directory (Atlas's checksum rules);
  3. the migrations replay cleanly on a throwaway database (the env's dev URL:
     docker://postgres/15/dev runs a local PostgreSQL 15 when no Docker engine
     answers; --dev-url overrides); a failure names file, line, column and SQLSTATE.
Comparing the replayed schema with the desired schema comes with the schema engine.]],
  options = workspace.with(workspace.template_option,
    { "format", arg = "FORMAT", choices = report.formats, default = "text", help = "output format" },
    { "dev-url", arg = "URL", help = "throwaway database to replay on (default: dev of the env, else local://postgres)" }),
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

    r:step("migrations replay cleanly on a throwaway database", function(step)
      local dir, derr = migdir.open(ws.dir)
      if not dir then return step:fail(derr) end
      local dev_url = opts.dev_url or ws.config.dev or "local://postgres"
      local dev <close>, err = devdb.open(dev_url)
      if not dev then return step:fail(err) end
      local t <close> = target.connect(dev.url)
      local ex = executor.new { conn = t.conn, dir = dir, url_schema = t.schema }
      local plan = ex:plan {}
      local outcome = ex:execute(plan)
      if outcome.failure then
        local text = apply.describe_failure(outcome.failure)
        return step:fail(text)
      end
      local stmts = 0
      for _, f in ipairs(dir.files) do stmts = stmts + #assert(f:statements()) end
      step:note(("%d files, %d statements on %s"):format(#dir.files, stmts, dev.label or dev_url))
    end)

    io.stdout:write(r:render(opts.format))
    return r.ok and 0 or 1
  end,
}
