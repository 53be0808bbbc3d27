--- dbhost.linter: static lint of SQL migration files.
--
-- Statement boundaries and positions come from dbhost.sql (the splitter the
-- executor uses), each statement's parse tree from dbhost.pgquery (PostgreSQL
-- 15's parser). Rules are Lua modules, one file per analyzer, under
-- scripts/dbhost/lint/ (bundled) and the project's own scripts/dbhost/lint/
-- (a file of the same name replaces the bundled one). See
-- scripts/dbhost/lint/README.md for the shape of an analyzer.
--
--   local rules = linter.load_rules()                -> { rule, ... } (sorted by code)
--   local s = linter.settings{ config = cfg.lint, pg_version = "15", tx_mode = "file",
--                              rules = rules }     -> settings | raises a config error
--   local res = linter.lint_files({ { path=, text=, history=bool }, ... }, s)
--     -> { findings = { finding, ... }, files = { {path=, statements=n}, ... },
--          counts = { error=, warning=, info= } }
-- Files with history = true are earlier migrations: they only teach the model
-- (tables, columns, indexes) and produce no findings.
--
-- A finding: { code=, name=, aliases={..}, severity="error"|"warning"|"info",
--   analyzer=, file=, line=, column= (characters), statement=, message=, why=,
--   advice=, example=, trace=nil|{...} }
local sql = require "dbhost.sql"
local pgquery = require "dbhost.pgquery"
local cjson = require "cjson"
local fs = require "dbhost.fs"
local errors = require "dbhost.errors"
local ast = require "dbhost.linter.ast"
local model = require "dbhost.linter.model"

local M = {}

M.SEVERITIES = { error = 3, warning = 2, info = 1 }

---------------------------------------------------------------------------
-- Loading analyzers
---------------------------------------------------------------------------

-- The folder a project drops its own analyzers into (relative to the project).
M.PROJECT_DIR = "scripts/dbhost/lint"

local list_dir

-- The bundled analyzers: from the binary's bundle, or (the stock interpreter, which
-- has no bundle) from the folder beside this module on package.path.
local function list_bundled()
  local ok, host = pcall(require, "dbhost.host")
  local names = {}
  if ok then
    for _, p in ipairs(host.bundle_list()) do
      local n = p:match("^dbhost/lint/([%w_]+)%.lua$")
      if n then names[#names + 1] = n end
    end
  else
    local me = package.searchpath("dbhost.linter", package.path)
    if me then names = list_dir((me:gsub("%.lua$", ""):gsub("linter$", "lint"))) end
  end
  return names
end

function list_dir(dir)
  local names = {}
  for _, name in ipairs(fs.list(dir) or {}) do
    local n = name:match("^([%w_]+)%.lua$")
    if n then names[#names + 1] = n end
  end
  return names
end

--- linter.load_rules{ dirs = {...} } -> rules (sorted by code)
-- Analyzers: every bundled dbhost/lint/NAME.lua, then NAME.lua files in each
-- dir (default: the project's scripts/dbhost/lint and, when running from the
-- source tree, nothing more). A project file replaces the bundled one of the
-- same name (require finds the project's scripts/ first).
function M.load_rules(opts)
  opts = opts or {}
  local seen, names = {}, {}
  local function add(n)
    if not seen[n] then seen[n] = true names[#names + 1] = n end
  end
  for _, n in ipairs(list_bundled()) do add(n) end
  for _, dir in ipairs(opts.dirs or { M.PROJECT_DIR }) do
    for _, n in ipairs(list_dir(dir)) do add(n) end
  end
  table.sort(names)
  local rules, bycode = {}, {}
  for _, n in ipairs(names) do
    local mod
    local path = nil
    for _, dir in ipairs(opts.dirs or { M.PROJECT_DIR }) do
      local p = dir .. "/" .. n .. ".lua"
      if fs.stat(p) then path = p break end
    end
    if path then
      local chunk, err = loadfile(path, "t")
      if not chunk then errors.config("%s", err) end
      mod = chunk()
    else
      mod = require("dbhost.lint." .. n)
    end
    if type(mod) ~= "table" or type(mod.rules) ~= "table" then
      errors.config("lint analyzer %s must return a table with a rules list", n)
    end
    for _, r in ipairs(mod.rules) do
      if type(r.code) ~= "string" or type(r.check) ~= "function" and type(r.finish) ~= "function"
          and type(r.file_check) ~= "function" then
        errors.config("lint analyzer %s: every rule needs a code and a check function", n)
      end
      r.analyzer = r.analyzer or mod.name or n
      r.name = r.name or r.code
      r.aliases = r.aliases or {}
      r.severity = r.severity or "warning"
      if bycode[r.code] then
        errors.config("lint rule %s is defined twice (analyzers %s and %s)", r.code, bycode[r.code].analyzer, r.analyzer)
      end
      bycode[r.code] = r
      rules[#rules + 1] = r
    end
  end
  table.sort(rules, function(a, b) return a.code < b.code end)
  return rules
end

---------------------------------------------------------------------------
-- Settings: severities from atlas.hcl's lint block, target version, txmode
---------------------------------------------------------------------------

--- linter.parse_version("14.2") -> 14, 2 | nil (minor nil when not given)
function M.parse_version(v)
  if v == nil then return nil end
  v = tostring(v)
  local major, minor = v:match("^(%d+)%.(%d+)$")
  if major then return tonumber(major), tonumber(minor) end
  major = v:match("^(%d+)$")
  if major then
    local n = tonumber(major)
    if n >= 100000 then return n // 10000, n % 10000 end
    return n, nil
  end
  return nil
end

local function answers_to(rule, word)
  if word == rule.code or word == rule.name or word == rule.analyzer then return true end
  for _, a in ipairs(rule.aliases) do
    if a == word then return true end
  end
  return false
end
M.answers_to = answers_to

--- linter.settings{ config=, pg_version=, tx_mode=, rules= } -> settings
-- config is atlas.hcl's lint block as a table: `destructive { error = true }`
-- (Atlas: the analyzer's findings become errors; false makes them warnings),
-- `naming { match = "..." ... }` (turns NM101-NM106 on), and dbhost's own
-- `rule "CODE-or-name" { severity = "error"|"warning"|"info"|"off" }`.
function M.settings(o)
  local cfg = o.config or {}
  local major, minor = M.parse_version(o.pg_version or "15")
  if not major then errors.usage("--pg-version must look like 15 or 14.2, not %q", tostring(o.pg_version)) end
  local s = {
    rules = o.rules or M.load_rules(), config = cfg, pg_major = major, pg_minor = minor,
    tx_mode = o.tx_mode or "file", severity = {}, enabled = {},
  }
  if s.tx_mode ~= "file" and s.tx_mode ~= "none" and s.tx_mode ~= "all" then
    errors.usage("--tx-mode must be file or none, not %q", tostring(s.tx_mode))
  end
  local rule_cfg = type(cfg.rule) == "table" and cfg.rule or {}
  local known = {}
  for _, r in ipairs(s.rules) do
    local sev, on = r.severity, not r.opt_in
    local ac = cfg[r.analyzer]
    if type(ac) == "table" and ac.error ~= nil then sev = ac.error and "error" or "warning" end
    if r.analyzer == "naming" then on = type(cfg.naming) == "table" end
    for key, rc in pairs(rule_cfg) do
      if answers_to(r, key) and key ~= r.analyzer then
        known[key] = true
        if type(rc) ~= "table" then errors.config("lint rule %q: expected a block", key) end
        if rc.severity ~= nil then
          if rc.severity == "off" then on = false
          elseif M.SEVERITIES[rc.severity] then sev, on = rc.severity, true
          else errors.config("lint rule %q: severity must be error, warning, info or off, not %q", key, tostring(rc.severity)) end
        end
        if rc.enabled ~= nil then on = rc.enabled and true or false end
      end
    end
    s.severity[r.code], s.enabled[r.code] = sev, on
  end
  s.byname = {}
  for _, r in ipairs(s.rules) do s.byname[r.code] = r end
  for key in pairs(rule_cfg) do
    if not known[key] then errors.config("lint block: no rule answers to %q", key) end
  end
  return s
end

---------------------------------------------------------------------------
-- Positions
---------------------------------------------------------------------------

-- Positions are errors.locate_byte's: the one place that turns an offset in a
-- statement into the file's line and character column.

---------------------------------------------------------------------------
-- Suppression: atlas:nolint and squawk-ignore
---------------------------------------------------------------------------

local function words(s)
  local out = {}
  for w in s:gmatch("[^%s,]+") do out[#out + 1] = w end
  return out
end

-- squawk_ignores(text) -> list of rule-name lists (empty list = all) in "-- squawk-ignore" comments
local function squawk_comments(s, kind)
  local out = {}
  for body in s:gmatch("%-%-([^\n]*)") do
    local rest = body:match("^%s*" .. kind .. "%f[^%w%-](.*)$")
    if rest then out[#out + 1] = words(rest) end
  end
  for body in s:gmatch("/%*(.-)%*/") do
    local rest = body:match("^%s*" .. kind .. "%f[^%w%-](.*)$")
    if rest then out[#out + 1] = words(rest) end
  end
  return out
end

local function ignored_by(lists, rule)
  for _, l in ipairs(lists) do
    if #l == 0 then return true end
    for _, w in ipairs(l) do
      if answers_to(rule, w) then
        l.hit = l.hit or {}
        l.hit[w] = true
        return true
      end
    end
  end
  return false
end

-- nolint(value, rule): atlas:nolint true (all) or a list of codes / analyzer names
local function nolint_matches(v, rule)
  if v == true then return true end
  if type(v) == "table" then
    for _, w in ipairs(v) do
      if answers_to(rule, w) then return true end
    end
  end
  return false
end

---------------------------------------------------------------------------
-- Per-file context
---------------------------------------------------------------------------

-- Statement kinds that take ACCESS EXCLUSIVE on an existing table; returns the table name.
local AE_SUBTYPES_EXEMPT = {
  AT_ValidateConstraint = true, AT_SetStatistics = true, AT_AttachPartition = true,
  AT_SetOptions = true, AT_ResetOptions = true, AT_SetRelOptions = true, AT_ResetRelOptions = true,
  AT_ClusterOn = true, AT_DropCluster = true, AT_EnableTrig = true, AT_DisableTrig = true,
}

local function fk_only(cmd)
  local _, k = ast.unwrap(cmd.def)
  return k and k.contype == "CONSTR_FOREIGN"
end

--- linter.access_exclusive(type, fields) -> table name | nil
function M.access_exclusive(t, f)
  if t == "AlterTableStmt" and (f.objtype == "OBJECT_TABLE" or f.objtype == "OBJECT_MATVIEW") then
    for _, c in ipairs(f.cmds or {}) do
      local _, cmd = ast.unwrap(c)
      if cmd and not AE_SUBTYPES_EXEMPT[cmd.subtype]
          and not (cmd.subtype == "AT_AddConstraint" and fk_only(cmd))
          and not (cmd.subtype == "AT_DetachPartition" and cmd.def and cmd.def.PartitionCmd
                   and cmd.def.PartitionCmd.concurrent) then
        return ast.relname(f.relation)
      end
    end
  elseif t == "RenameStmt" and (f.renameType == "OBJECT_TABLE" or f.renameType == "OBJECT_COLUMN") then
    return ast.relname(f.relation)
  elseif t == "TruncateStmt" then
    return ast.relname(f.relations and f.relations[1])
  elseif t == "DropStmt" and f.removeType == "OBJECT_TABLE" then
    local _, l = ast.unwrap(f.objects and f.objects[1])
    local names = l and ast.strings(l.items) or {}
    return names[#names]
  elseif t == "VacuumStmt" and ast.has_def(f.options, "full") then
    local _, vr = ast.unwrap(f.rels and f.rels[1])
    return vr and ast.relname(vr.relation)
  elseif t == "ClusterStmt" then
    return ast.relname(f.relation)
  elseif t == "RefreshMatViewStmt" and not f.concurrent then
    return ast.relname(f.relation)
  end
  return nil
end

local Ctx = {}
Ctx.__index = Ctx

--- ctx:existing(table) -> true unless the table was created earlier in this file
function Ctx:existing(name)
  return name ~= nil and not self.created[name]
end

--- ctx:in_transaction() -> true when the current statement runs inside a transaction block
function Ctx:in_transaction()
  return self.tx.open
end

--- ctx:version_at_least(major [, minor]) -> bool
function Ctx:version_at_least(major, minor)
  if self.pg_major ~= major then return self.pg_major > major end
  return (self.pg_minor or 0) >= (minor or 0)
end

--- ctx:ahead() -> iterator over the statements after the current one (index, st)
function Ctx:ahead()
  local i = self.index
  return function()
    i = i + 1
    local st = self.stmts[i]
    if st then return i, st end
  end
end

local function new_tx(open, explicit)
  return { open = open, explicit = explicit, ae = nil, not_valid = {}, alters = {}, reported_ae = false }
end

-- After the rules saw statement st: record what it created, locked or set.
local function record(ctx, st)
  local t, f = st.type, st.node
  if t == "CreateStmt" then
    ctx.created[ast.relname(f.relation)] = true
  elseif t == "CreateTableAsStmt" then
    ctx.created[ast.relname(f.into and f.into.rel)] = true
  elseif t == "ViewStmt" then
    ctx.created[ast.relname(f.view)] = true
  elseif t == "IndexStmt" and f.idxname then
    ctx.created_indexes[f.idxname] = true
  elseif t == "RenameStmt" and f.renameType == "OBJECT_TABLE" and ctx.created[ast.relname(f.relation)] then
    ctx.created[f.newname] = true
  elseif t == "VariableSetStmt" and f.name then
    ctx.settings[f.name] = true
  end
  if t == "AlterTableStmt" then
    local name = ast.relname(f.relation)
    ctx.tx.alters[name] = (ctx.tx.alters[name] or 0) + 1
    for _, c in ipairs(f.cmds or {}) do
      local _, cmd = ast.unwrap(c)
      if cmd and cmd.subtype == "AT_AddConstraint" then
        local _, k = ast.unwrap(cmd.def)
        if k and k.skip_validation and k.conname then ctx.tx.not_valid[name .. "." .. k.conname] = st end
      end
    end
  end
  local ae = M.access_exclusive(t, f)
  if ae and ctx:existing(ae) and ctx.tx.open and not ctx.tx.ae then
    ctx.tx.ae = { table = ae, st = st }
  end
  -- transaction boundaries
  if t == "TransactionStmt" then
    if f.kind == "TRANS_STMT_BEGIN" or f.kind == "TRANS_STMT_START" then
      if not ctx.tx.open then ctx.tx = new_tx(true, true) end
      ctx.tx.explicit = true
      ctx.tx.begin = ctx.tx.begin or st
    elseif f.kind == "TRANS_STMT_COMMIT" or f.kind == "TRANS_STMT_ROLLBACK" then
      ctx.tx = new_tx(false, false)
    end
  elseif not ctx.tx.explicit and ctx.txmode == "none" then
    ctx.tx = new_tx(false, false)     -- each statement is its own transaction
  end
  ctx.model:apply(t, f)
end

---------------------------------------------------------------------------
-- Linting
---------------------------------------------------------------------------

local function make_finding(rule, sev, file, st, message, s)
  return {
    code = rule.code, name = rule.name, aliases = rule.aliases, severity = sev,
    analyzer = rule.analyzer, file = file, line = st.line, column = st.column,
    statement = st.text, message = message, why = rule.why, advice = rule.advice,
    example = rule.example, index = st.index, _rule = rule, _settings = s,
  }
end

-- parse_file(path, text) -> stmts, syntax_findings
local function parse_file(path, text)
  local stmts, findings = {}, {}
  local split, err = sql.split(text, path)
  if not split then
    local line, col, msg = tostring(err):match(":(%d+):(%d+): (.*)$")
    findings[#findings + 1] = {
      code = "syntax-error", name = "syntax-error", aliases = {}, severity = "error", analyzer = "syntax",
      file = path, line = tonumber(line) or 1, column = tonumber(col) or 1, statement = "",
      message = msg or tostring(err), advice = "Fix the SQL so that PostgreSQL can parse it.",
    }
    return stmts, findings
  end
  for _, raw in ipairs(split) do
    local json, msg, _, _, byte = pgquery.parse(raw.text)
    local _, column = errors.locate_byte(text, raw)
    if not json then
      local line, col = errors.locate_byte(text, raw, byte)
      findings[#findings + 1] = {
        code = "syntax-error", name = "syntax-error", aliases = {}, severity = "error", analyzer = "syntax",
        file = path, line = line, column = col, statement = raw.text, message = msg,
        advice = "Fix the SQL so that PostgreSQL 15's parser accepts it.",
      }
    else
      local tree = cjson.decode(json)
      for _, rs in ipairs(tree.stmts or {}) do
        local t, f = ast.unwrap(rs.stmt)
        if t then
          stmts[#stmts + 1] = { type = t, node = f, text = raw.text, line = raw.line, column = column,
                                pos = raw.pos, raw = raw, index = #stmts + 1 }
        end
      end
    end
  end
  return stmts, findings
end

-- lint_one(file, s, mdl) -> findings (unsuppressed), nstmts
local function lint_one(file, s, mdl)
  local text = file.text
  local stmts, findings = parse_file(file.path, text)
  local dirs = sql.directives(text, file.path) or {}
  local txmode = dirs.txmode or file.tx_mode or s.tx_mode
  if txmode == "all" then txmode = "file" end
  local ctx = setmetatable({
    file = file.path, text = text, txmode = txmode, pg_major = s.pg_major, pg_minor = s.pg_minor,
    model = mdl, created = {}, created_indexes = {}, settings = {}, stmts = stmts, index = 0,
    config = s.config, base = file.base, version = file.version,
  }, Ctx)
  ctx.tx = new_tx(txmode == "file", false)
  if file.history then
    for i, st in ipairs(stmts) do ctx.index = i record(ctx, st) end
    return {}, #stmts
  end
  if not s.active then
    s.active, s.before = {}, {}
    for _, r in ipairs(s.rules) do
      if s.enabled[r.code] then
        s.active[#s.active + 1] = r
        if r.before then s.before[#s.before + 1] = r end
      end
    end
  end
  local active, before = s.active, s.before
  -- the rules that look at a statement type (a rule's `on` list; no list = every type)
  s.bytype = s.bytype or {}
  local function rules_for(t)
    local list = s.bytype[t]
    if not list then
      list = {}
      for _, r in ipairs(active) do
        local match = r.check and r.on == nil
        for _, o in ipairs(r.on or {}) do match = match or o == t end
        if match and r.check then list[#list + 1] = r end
      end
      s.bytype[t] = list
    end
    return list
  end
  local function emit(rule, st, result)
    if result == nil or result == false then return end
    if type(result) ~= "table" then
      findings[#findings + 1] = make_finding(rule, s.severity[rule.code], file.path, st, result, s)
      return
    end
    for _, msg in ipairs(result) do
      findings[#findings + 1] = make_finding(rule, s.severity[rule.code], file.path, st, msg, s)
    end
  end
  for i, st in ipairs(stmts) do
    ctx.index = i
    for _, r in ipairs(before) do r.before(st, ctx) end
    for _, r in ipairs(rules_for(st.type)) do emit(r, st, r.check(st, ctx)) end
    record(ctx, st)
  end
  ctx.index = #stmts + 1
  local first = stmts[1] or { text = "", line = 1, column = 1, index = 0 }
  for _, r in ipairs(active) do
    if r.finish then
      for _, item in ipairs(r.finish(ctx) or {}) do emit(r, item.st or first, item.message) end
    end
    if r.file_check then emit(r, first, r.file_check(ctx)) end
  end
  -- suppression; squawk-ignore lists remember which names suppressed something
  local file_ignores = squawk_comments(text, "squawk%-ignore%-file")
  local has_ignores = text:find("squawk-ignore", 1, true) ~= nil
  local stmt_ignores = {}
  local function ignores_of(st)
    local l = stmt_ignores[st.raw]
    if l == nil then
      l = squawk_comments(table.concat(st.raw.comments, "\n"), "squawk%-ignore")
      for _, x in ipairs(squawk_comments(st.text, "squawk%-ignore")) do l[#l + 1] = x end
      stmt_ignores[st.raw] = l
    end
    return l
  end
  local out = {}
  for _, fd in ipairs(findings) do
    local rule = fd._rule
    local drop = false
    if rule then
      local st = stmts[fd.index]
      drop = nolint_matches(dirs.nolint, rule) or (has_ignores and ignored_by(file_ignores, rule))
      if not drop and st then
        drop = nolint_matches(sql.stmt_directives(st.raw).nolint, rule)
          or (has_ignores and ignored_by(ignores_of(st), rule))
      end
    end
    if not drop then
      fd._rule, fd._settings, fd.index = nil, nil, nil
      out[#out + 1] = fd
    end
  end
  -- unused-ignore: names in squawk-ignore comments that no rule answers to or that suppressed nothing
  local unused = s.byname and s.byname["unused-ignore"]
  if has_ignores and unused and s.enabled[unused.code] then
    local function report(st, l, kind)
      for _, w in ipairs(l) do
        local known = false
        for _, r in ipairs(s.rules) do known = known or answers_to(r, w) end
        local msg
        if not known then
          msg = ("%s names %q, which no rule answers to"):format(kind, w)
        elseif not (l.hit and l.hit[w]) then
          msg = ("%s %s suppressed nothing"):format(kind, w)
        end
        if msg then
          local f = make_finding(unused, s.severity[unused.code], file.path, st, msg, s)
          f._rule, f._settings, f.index = nil, nil, nil
          out[#out + 1] = f
        end
      end
    end
    for _, st in ipairs(stmts) do
      local lists = ignores_of(st)
      if not lists.reported then
        lists.reported = true
        for _, l in ipairs(lists) do report(st, l, "squawk-ignore") end
      end
    end
    for _, l in ipairs(file_ignores) do report(stmts[1] or { text = "", line = 1, column = 1 }, l, "squawk-ignore-file") end
  end
  table.sort(out, function(a, b)
    if a.line ~= b.line then return a.line < b.line end
    if a.column ~= b.column then return a.column < b.column end
    return a.code < b.code
  end)
  return out, #stmts
end

--- linter.lint_files(files, settings) -> result
function M.lint_files(files, s)
  local mdl = model.new()
  local res = { findings = {}, files = {}, counts = { error = 0, warning = 0, info = 0 } }
  for _, file in ipairs(files) do
    local found, n = lint_one(file, s, mdl)
    if not file.history then
      res.files[#res.files + 1] = { path = file.path, statements = n, findings = #found }
      for _, fd in ipairs(found) do
        res.findings[#res.findings + 1] = fd
        res.counts[fd.severity] = res.counts[fd.severity] + 1
      end
    end
  end
  return res
end

--- linter.read_files(paths [, extra [, stdin_name]]) -> files | raises a config error (unreadable file)
-- "-" reads standard input, named stdin_name (default "<stdin>") in findings.
function M.read_files(paths, extra, stdin_name)
  local out = {}
  for _, p in ipairs(paths) do
    local text, err
    if p == "-" then
      text, p = io.stdin:read("a") or "", stdin_name or "<stdin>"
    else
      text, err = fs.read(p)
    end
    if not text then errors.config("%s", err) end
    local file = { path = p, text = text }
    for k, v in pairs(extra or {}) do file[k] = v end
    out[#out + 1] = file
  end
  return out
end

return M
