--- dbhost.linter.render: lint results as text, JSON, Markdown or GitHub annotations.
--
--   render.text(res) / render.json(res) / render.markdown(res) / render.github(res) -> string
-- res is linter.lint_files' result, optionally with res.trace = { [file] = { stmt facts } }
-- and findings carrying .trace (see dbhost.linter.trace).
local cjson = require "cjson"

local M = {}

local ORDER = { "error", "warning", "info" }

local function first_line(s)
  return (s or ""):match("^[^\n]*")
end

local function one_line(s, max)
  s = (s or ""):gsub("%s+", " ")
  if max and #s > max then s = s:sub(1, max - 1) .. "…" end
  return s
end

local function lock_list(list)
  local out = {}
  for _, l in ipairs(list or {}) do out[#out + 1] = l.relation .. " " .. l.mode end
  return table.concat(out, ", ")
end

-- held_beyond(t) -> the locks held after the statement that it did not take itself, as text
local function held_beyond(t)
  local new = {}
  for _, l in ipairs(t.locks or {}) do new[l.relation .. " " .. l.mode] = true end
  local more = {}
  for _, l in ipairs(t.held or {}) do
    if not new[l.relation .. " " .. l.mode] then more[#more + 1] = l end
  end
  return lock_list(more)
end

-- facts_text(trace) -> "took users AccessExclusive; rewrote users; scanned users (1)"
function M.facts_text(t)
  if not t then return nil end
  local parts = {}
  if t.error then return "trace: " .. t.error end
  local took = lock_list(t.locks)
  parts[#parts + 1] = "took " .. (took ~= "" and took or "no new lock")
  local more = held_beyond(t)
  if more ~= "" then parts[#parts + 1] = "still holding " .. more end
  if t.rewrites and #t.rewrites > 0 then parts[#parts + 1] = "rewrote " .. table.concat(t.rewrites, ", ") end
  if t.scans and #t.scans > 0 then
    local s = {}
    for _, x in ipairs(t.scans) do s[#s + 1] = ("%s (%d)"):format(x.relation, x.count) end
    parts[#parts + 1] = "scanned " .. table.concat(s, ", ")
  end
  if t.skipped then parts = { "not traced: " .. t.skipped } end
  return table.concat(parts, "; ")
end

--- render.text(res) -> string
function M.text(res)
  local out = {}
  for _, f in ipairs(res.findings) do
    out[#out + 1] = ("%s:%d:%d: %s %s%s: %s"):format(f.file, f.line, f.column, f.severity, f.code,
      f.name ~= f.code and (" " .. f.name) or "", f.message)
    if f.statement and f.statement ~= "" then
      local n = 0
      for l in (f.statement .. "\n"):gmatch("([^\n]*)\n") do
        n = n + 1
        if n > 8 then out[#out + 1] = "    | …" break end
        out[#out + 1] = "    | " .. l
      end
    end
    if f.trace then out[#out + 1] = "    measured: " .. M.facts_text(f.trace) end
    if f.disagreement then out[#out + 1] = "    trace disagrees: " .. f.disagreement end
    if f.advice then out[#out + 1] = "    advice: " .. f.advice end
  end
  for _, d in ipairs(res.disagreements or {}) do
    out[#out + 1] = ("%s:%d:%d: note trace: %s"):format(d.file, d.line, d.column, d.message)
  end
  local c = res.counts
  out[#out + 1] = ("%d error(s), %d warning(s), %d info in %d file(s)"):format(c.error, c.warning, c.info, #res.files)
  return table.concat(out, "\n") .. "\n"
end

local EMPTY = "\0dbhost-empty-array\0"

-- arr(list) -> list, or a marker that json() turns into [] (lua-cjson 2.1.0 writes {} for empty tables)
local function arr(list)
  if list == nil or #list == 0 then return EMPTY end
  return list
end

--- render.json(res) -> string (one JSON document, stable field names)
-- { version = 1, files = [{path, statements, findings}], counts = {error, warning, info},
--   findings = [{code, name, aliases, analyzer, severity, file, line, column, statement, message,
--                advice, trace = null | {locks=[{relation, mode}] (taken by the statement),
--                held=[...] (held after it), rewrites=[names], scans=[{relation, count}]},
--                disagreement = null | text}],
--   disagreements = [{file, line, column, message}],
--   trace = null (no --trace) | [{file, line, statement, locks, held, rewrites, scans,
--                                 error?, skipped?, waiting?, observed?}] }
function M.json(res)
  local findings = {}
  for i, f in ipairs(res.findings) do
    local t = nil
    if f.trace then
      t = { locks = arr(f.trace.locks), held = arr(f.trace.held), rewrites = arr(f.trace.rewrites),
            scans = arr(f.trace.scans), error = f.trace.error, skipped = f.trace.skipped }
    end
    findings[i] = {
      code = f.code, name = f.name, aliases = arr(f.aliases), analyzer = f.analyzer, severity = f.severity, file = f.file,
      line = f.line, column = f.column, statement = f.statement, message = f.message,
      advice = f.advice, trace = t or cjson.null, disagreement = f.disagreement or cjson.null,
    }
  end
  local files = {}
  for i, f in ipairs(res.files) do files[i] = { path = f.path, statements = f.statements, findings = f.findings } end
  local trace = cjson.null
  if res.trace then
    trace = {}
    for i, t in ipairs(res.trace) do
      trace[i] = { file = t.file, line = t.line, statement = t.statement, locks = arr(t.locks), held = arr(t.held),
                   rewrites = arr(t.rewrites), scans = arr(t.scans), error = t.error, skipped = t.skipped,
                   waiting = t.waiting and arr(t.waiting) or nil, observed = t.observed }
    end
    trace = arr(trace)
  end
  local doc = {
    version = 1, files = arr(files), findings = arr(findings), counts = res.counts,
    disagreements = arr(res.disagreements), trace = trace,
  }
  local s = cjson.encode(doc)
  s = s:gsub('"\\u0000dbhost%-empty%-array\\u0000"', "[]")
  return s .. "\n"
end

local function md_escape(s)
  return (s or ""):gsub("|", "\\|"):gsub("\n", " ")
end

--- render.markdown(res) -> string: a block for a pull request's description
function M.markdown(res, title)
  local out = {}
  local c = res.counts
  out[#out + 1] = "### " .. (title or "dbhost lint")
  out[#out + 1] = ""
  out[#out + 1] = "| Severity | Findings |"
  out[#out + 1] = "|---|---|"
  for _, sev in ipairs(ORDER) do out[#out + 1] = ("| %s | %d |"):format(sev, c[sev]) end
  out[#out + 1] = ("| files | %d |"):format(#res.files)
  local byfile, order = {}, {}
  for _, f in ipairs(res.findings) do
    if not byfile[f.file] then byfile[f.file] = {} order[#order + 1] = f.file end
    table.insert(byfile[f.file], f)
  end
  for _, file in ipairs(order) do
    out[#out + 1] = ""
    out[#out + 1] = ("#### `%s`"):format(file)
    out[#out + 1] = ""
    out[#out + 1] = "| Line | Severity | Rule | Finding | Statement |"
    out[#out + 1] = "|---|---|---|---|---|"
    local rules, seen = {}, {}
    for _, f in ipairs(byfile[file]) do
      out[#out + 1] = ("| %d:%d | %s | %s `%s` | %s | `%s` |"):format(f.line, f.column, f.severity, f.code,
        f.name, md_escape(f.message .. (f.disagreement and (" (trace disagrees: " .. f.disagreement .. ")") or "")),
        md_escape(one_line(first_line(f.statement), 80)))
      if not seen[f.code] and f.advice then
        seen[f.code] = true
        rules[#rules + 1] = f
      end
    end
    out[#out + 1] = ""
    for _, f in ipairs(rules) do
      out[#out + 1] = ("- **%s** %s **Advice:** %s"):format(f.code, md_escape(f.why or ""), md_escape(f.advice))
    end
  end
  if res.trace and #res.trace > 0 then
    out[#out + 1] = ""
    out[#out + 1] = "#### Measured on a throwaway database"
    out[#out + 1] = ""
    out[#out + 1] = "| File | Line | Statement | Locks taken | Also held | Rewrites | Scans |"
    out[#out + 1] = "|---|---|---|---|---|---|---|"
    for _, t in ipairs(res.trace) do
      local scans = {}
      for _, x in ipairs(t.scans or {}) do scans[#scans + 1] = ("%s ×%d"):format(x.relation, x.count) end
      out[#out + 1] = ("| `%s` | %d | `%s` | %s | %s | %s | %s |"):format(t.file, t.line,
        md_escape(one_line(first_line(t.statement), 60)),
        md_escape(t.skipped and ("not traced: " .. t.skipped) or t.error or lock_list(t.locks)),
        md_escape(held_beyond(t)), md_escape(table.concat(t.rewrites or {}, ", ")), md_escape(table.concat(scans, ", ")))
    end
  end
  return table.concat(out, "\n") .. "\n"
end

local function gh_data(s)
  return (s or ""):gsub("%%", "%%25"):gsub("\r", "%%0D"):gsub("\n", "%%0A")
end

local function gh_prop(s)
  return gh_data(s):gsub(":", "%%3A"):gsub(",", "%%2C")
end

--- render.github(res) -> string: workflow commands (::error file=…,line=…::message)
function M.github(res)
  local out = {}
  for _, f in ipairs(res.findings) do
    local level = f.severity == "info" and "notice" or f.severity
    out[#out + 1] = ("::%s file=%s,line=%d,col=%d,title=%s::%s"):format(level, gh_prop(f.file), f.line, f.column,
      gh_prop(f.code .. (f.name ~= f.code and (" " .. f.name) or "")),
      gh_data(f.message .. (f.advice and ("\n" .. f.advice) or "")
        .. (f.trace and ("\nmeasured: " .. M.facts_text(f.trace)) or "")))
  end
  return table.concat(out, "\n") .. (#out > 0 and "\n" or "")
end

return M
