-- dbhost check-migrations: prove that the migration directory, its hashes and the template agree.
local cfn = require "dbhost.cfn"
local hash = require "dbhost.hash"
local fs = require "dbhost.fs"
local report = require "dbhost.report"
local sumcheck = require "dbhost.sumcheck"
local workspace = require "dbhost.workspace"

return {
  summary = "Check MigrationHash, atlas.sum and the migrations (pre-commit hook and CI)",
  usage = "dbhost check-migrations [--dir DIR] [--env NAME] [--format text|markdown|json]",
  description = [[
Steps, each shown with its outcome and time (exit 1 if any fails):
  1. MigrationHash in the CloudFormation template equals the atlas.sum total;
  2. atlas.sum matches the migration directory (Atlas's checksum rules);
  3. every migration file splits into statements (dbhost.sql), with the
     file, line and column of any unterminated quote or comment.
Replaying the migrations on a throwaway PostgreSQL and comparing the result
with the desired schema comes with the schema engine.]],
  options = workspace.with(workspace.template_option,
    { "format", arg = "FORMAT", choices = report.formats, default = "text", help = "output format" }),
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

    r:step("migration files split into statements", function(step)
      local sql = require "dbhost.sql"
      local bad, count = {}, 0
      for _, name in ipairs(assert(fs.list(ws.dir))) do
        if name:match("%.sql$") then
          local path = ws.dir .. "/" .. name
          local stmts, err = sql.split(assert(fs.read(path)), path)
          if stmts then count = count + #stmts else bad[#bad + 1] = err end
        end
      end
      if #bad > 0 then return step:fail(table.concat(bad, "\n")) end
      step:note(("%d statements"):format(count))
    end)

    io.stdout:write(r:render(opts.format))
    return r.ok and 0 or 1
  end,
}
