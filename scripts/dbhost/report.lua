--- dbhost.report: a list of checks with outcome and time, shown as text, Markdown or JSON.
--
--   local r = report.new("check-migrations")
--   r:step("atlas.sum matches the directory", function(step)
--     ...                       -- return normally: ok
--     step:fail("message", "details...")   -- or mark it failed (does not raise)
--   end)
--   io.stdout:write(r:render("text"))
--   return r:exit_status()          -- 0, 1 (a step failed) or 2 (a configuration error)
-- A step that raises a dbhost error is recorded as failed with that message;
-- any other error propagates (it is a bug, not a check result).
local errors = require "dbhost.errors"
local json = require "dbhost.json"

local M = {}
local Report = {}
Report.__index = Report

local clock = os.clock
do
  -- wall time when the proc binding offers it, else CPU time
  local ok, proc = pcall(require, "dbhost.proc")
  if ok and type(proc) == "table" and proc.now then clock = proc.now end
end

--- report.new(title) -> report
function M.new(title)
  return setmetatable({ title = title, steps = {}, ok = true }, Report)
end

local Step = {}
Step.__index = Step

--- step:fail(message [, details]): mark the step failed
-- message may be a dbhost error object (errors.lua): its message is shown and,
-- in JSON, its location (code, file, line, column) as the step's "error".
function Step:fail(message, details)
  self.status = "failed"
  if errors.is(message) then
    self.error = message
    message = message.message
  end
  self.message = message ~= nil and tostring(message) or "failed (no reason given)"
  self.details = details
end

--- step:skip(message): mark the step skipped (it neither passes nor fails)
function Step:skip(message)
  self.status = "skipped"
  self.message = message
end

--- step:note(message): an informational line shown with a passing step
function Step:note(message)
  self.message = message
end

--- report:step(name, fn [, opts]) -> step: run fn(step), time it and record its outcome
-- A step after a failed one does not run: it is "skipped (step N failed)", never ok;
-- unless opts.independent: a step whose result does not rest on the earlier ones
-- (lint of the new files is worth reading even when the schema is out of sync).
function Report:step(name, fn, opts)
  local step = setmetatable({ name = name, status = "ok" }, Step)
  if self.failed_step and not (opts and opts.independent) then
    step.status, step.seconds = "skipped", 0
    step.message = ("skipped (step %d failed)"):format(self.failed_step)
    step.after_failure = self.failed_step
    self.steps[#self.steps + 1] = step
    return step
  end
  local t0 = clock()
  local ok, err = pcall(fn, step)
  step.seconds = clock() - t0
  if not ok then
    if errors.is(err) then
      step:fail(err)
      -- a configuration error found by a step still makes the command exit 2
      if err.status == 2 then self.config_error = true end
    else
      error(err, 0)
    end
  end
  self.steps[#self.steps + 1] = step
  if step.status == "failed" then
    self.ok = false
    self.failed_step = self.failed_step or #self.steps
  end
  return step
end

local function ms(seconds)
  if seconds < 1 then return ("%dms"):format(math.floor(seconds * 1000 + 0.5)) end
  return ("%.2fs"):format(seconds)
end

local marks = { ok = "ok", failed = "FAILED", skipped = "skipped" }

local function render_text(self)
  local out = {}
  for _, s in ipairs(self.steps) do
    if s.after_failure then
      out[#out + 1] = ("%-7s %s (step %d failed)"):format(marks[s.status], s.name, s.after_failure)
    else
      out[#out + 1] = ("%-7s %s (%s)"):format(marks[s.status], s.name, ms(s.seconds))
    end
    if s.message and not s.after_failure then out[#out + 1] = "        " .. s.message:gsub("\n", "\n        ") end
    if s.details then out[#out + 1] = s.details:gsub("%s+$", "") end
  end
  out[#out + 1] = self.ok and (self.title .. ": all checks passed") or (self.title .. ": FAILED")
  return table.concat(out, "\n") .. "\n"
end

local icons = { ok = "✅", failed = "❌", skipped = "⏭️" }

local function render_markdown(self)
  local out = { ("### %s %s"):format(self.ok and "✅" or "❌", self.title), "",
                "| | Check | Time | Result |", "|---|---|---|---|" }
  for _, s in ipairs(self.steps) do
    local msg = (s.message or ""):gsub("|", "\\|"):gsub("\n", "<br>")
    out[#out + 1] = ("| %s | %s | %s | %s |"):format(icons[s.status], s.name, ms(s.seconds), msg)
  end
  for _, s in ipairs(self.steps) do
    if s.details then
      out[#out + 1] = ""
      out[#out + 1] = ("<details><summary>%s</summary>\n\n```\n%s\n```\n</details>"):format(s.name, s.details:gsub("%s+$", ""))
    end
  end
  return table.concat(out, "\n") .. "\n"
end

local function render_json(self)
  local steps = {}
  for i, s in ipairs(self.steps) do
    steps[i] = { name = s.name, status = s.status, seconds = s.seconds, message = s.message, details = s.details,
                 error = s.error and errors.document(s.error).error or nil }
  end
  return json.encode({ title = self.title, ok = self.ok, steps = steps }) .. "\n"
end

--- report:exit_status() -> 0 when every step passed, 2 when a step met a
-- configuration error, else 1
function Report:exit_status()
  if self.ok then return 0 end
  return self.config_error and 2 or 1
end

--- report:render(format) -> string; format is "text", "markdown" or "json"
function Report:render(format)
  if format == "markdown" then return render_markdown(self) end
  if format == "json" then return render_json(self) end
  return render_text(self)
end

M.formats = { "text", "markdown", "json" }

return M
