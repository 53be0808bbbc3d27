--- dbhost.linter.run: what `dbhost lint`, `dbhost migrate lint` and the
-- check-migrations lint step share: settings from flags and atlas.hcl, the lint
-- itself (static, and by execution with trace), and printing in a format.
--
--   run.lint{ files = {...}, history = {...}, lint_config = cfg.lint, pg_version=, tx_mode=,
--             trace = bool, dev_url = URL, dir = migration directory | nil } -> res
--   run.print(res, format [, title])
--   run.exit_status(res) -> 0 | 1
local linter = require "dbhost.linter"
local render = require "dbhost.linter.render"

local M = {}

M.FORMATS = { "text", "json", "markdown", "github" }

--- run.pg_version_of(dev_url) -> "15" | nil: the major version a dev URL names
-- (docker://postgres/15/dev, local://postgres/14), the target version when no flag says.
function M.pg_version_of(url)
  if type(url) ~= "string" then return nil end
  return url:match("^docker://postgres/(%d+)") or url:match("^local://postgres/(%d+)")
end

--- run.lint(o) -> res
function M.lint(o)
  local s = linter.settings {
    config = o.lint_config or {}, pg_version = o.pg_version, tx_mode = o.tx_mode,
    rules = o.rules,
  }
  local files = {}
  for _, f in ipairs(o.history or {}) do f.history = true files[#files + 1] = f end
  for _, f in ipairs(o.files) do files[#files + 1] = f end
  local res = linter.lint_files(files, s)
  if o.trace then
    local trace = require "dbhost.linter.trace"
    trace.attach(res, {
      history = o.history or {}, files = o.files, dev_url = o.dev_url, tx_mode = s.tx_mode, dir = o.dir,
    })
  end
  return res
end

--- run.print(res, format [, title])
function M.print(res, format, title)
  local fn = render[format or "text"]
  io.stdout:write(fn(res, title))
end

function M.exit_status(res)
  return res.counts.error > 0 and 1 or 0
end

return M
