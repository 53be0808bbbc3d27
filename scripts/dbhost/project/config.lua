--- dbhost.project.config: the atlas.hcl project file, resolved into one normalized config.
--
--   project.load{ file = "atlas.hcl", env = NAME|nil, vars = { k = "v" },
--                 require_env = bool, getenv = fn, run_external = fn,
--                 functions = {...}, text = "..." }
--     -> config | nil, msg, code
--
-- Codes: "EHCL" (syntax or expression error), "ECONFIG" (the file is valid HCL
-- but not a usable project: missing variable, unknown env, bad value),
-- "ENOENT" (no project file where one is required), "EIO" (read error).
-- Every message starts with "file:line:col: " when it is about a place in the file.
--
-- The config (see `defaults()` for every field):
--   { file=, dir=, found=bool, env=NAME|nil, envs={names}, url=, dev=, src={...},
--     schemas={...}, exclude={...},
--     migration = { dir="file://migrations", path="migrations", format="atlas",
--                   baseline=, exec_order="linear", lock_timeout="10s",
--                   revisions_schema=, tx_mode= },
--     lint = {...}, diff = {...}, format = {...},   -- blocks as nested tables
--     vars = {...}, locals = {...}, data = { kind = { name = record } },
--     attrs = {all evaluated env attributes}, pos = { attr = "file:line:col" },
--     for_each = nil | { count=, keys={...}, values={...} }, instances = nil | {config...},
--     notes = { "..." } }
--
-- Selecting the env: `env = NAME` picks `env "NAME"`, else an unlabelled
-- `env { name = atlas.env }` whose name evaluates to NAME. Without a name, a
-- file with exactly one env uses it; otherwise no env is selected (flags and
-- defaults only) unless require_env, which makes that an error.
-- Data sources are recorded, never run: data.external_schema.X.url is
-- "external_schema://X" with `program` kept; data.external.X (the program's
-- output) is available only through opts.run_external(name, record, dir) -> string | nil, err.
local hcl = require "dbhost.project.hcl"

local M = {}

M.MIGRATION_FORMATS = { "atlas", "golang-migrate", "goose", "flyway", "liquibase", "dbmate" }
M.TX_MODES = { "file", "all", "none" }
-- HCL spellings (and the flag spellings) of --exec-order, mapped to the flag spelling.
M.EXEC_ORDERS = {
  LINEAR = "linear", LINEAR_SKIP = "linear-skip", NON_LINEAR = "non-linear",
  linear = "linear", ["linear-skip"] = "linear-skip", ["non-linear"] = "non-linear",
}

local ConfigError = { __name = "dbhost.project.error" }

-- raise(code, fmt, ...) raises a config error; load() turns it into nil, msg, code.
local function raise(code, fmt, ...)
  local msg = select("#", ...) > 0 and fmt:format(...) or fmt
  error(setmetatable({ msg = msg, code = code }, ConfigError), 0)
end

-- at(tree_or_block, attr) -> "file:line:col" of an evaluated attribute or block
local function at(tree, attr)
  local p = attr and tree.pos[attr]
  if p then return string.format("%s:%d:%d", tree.file, p.line, p.col) end
  return string.format("%s:%d:%d", tree.file, tree.line or 1, tree.col or 1)
end

-- where(parsed) -> "file:line:col" of a parsed block or attribute
local function where(node)
  local line, col = hcl.position(node)
  return string.format("%s:%d:%d", (node.src or node.expr.src).file, line, col)
end

-- check(v, msg, code) -> v, or raises with the message of a failed nil, msg, code call.
local function check(v, msg, code)
  if v == nil then raise(code or "EHCL", "%s", msg) end
  return v
end

-- quoted_list(names) -> "\"a\", \"b\"" for messages.
local function quoted_list(names)
  local out = {}
  for i, n in ipairs(names) do out[i] = string.format("%q", n) end
  return table.concat(out, ", ")
end

local function dirname(path)
  return path:match("^(.*)/[^/]*$") or "."
end

---------------------------------------------------------------------------
-- Defaults and paths
---------------------------------------------------------------------------

--- project.dir_path(url, base) -> path | nil, msg, "ECONFIG"
-- "file://migrations" or "migrations" -> "migrations", joined to base (the
-- project directory) unless base is "." or the path is absolute.
function M.dir_path(url, base)
  if type(url) ~= "string" or url == "" then
    return nil, "the migration directory URL is empty", "ECONFIG"
  end
  local path = url
  local scheme, rest = url:match("^([%a][%w+.%-]*)://(.*)$")
  if scheme then
    if scheme ~= "file" then
      return nil, string.format("unsupported migration directory URL %q (only file:// is supported)", url),
        "ECONFIG"
    end
    path = rest:gsub("[?#].*$", "")
  end
  if path == "" then path = "." end
  if path:sub(1, 1) == "/" or base == nil or base == "." or base == "" then return path end
  path = path:gsub("^%./", "")
  if path == "." then return base end
  return base .. "/" .. path
end

-- defaults(file) -> a config with nothing set but Atlas's defaults
local function defaults(file)
  local cfg = {
    file = file, dir = dirname(file), found = false, env = nil, envs = {},
    src = {}, schemas = {}, exclude = {},
    migration = {
      dir = "file://migrations", format = "atlas", exec_order = "linear", lock_timeout = "10s",
    },
    lint = {}, diff = {}, format = {}, vars = {}, locals = {}, data = {},
    attrs = {}, pos = {}, notes = {},
  }
  cfg.migration.path = M.dir_path(cfg.migration.dir, cfg.dir)
  return cfg
end

---------------------------------------------------------------------------
-- Value checks on evaluated trees
---------------------------------------------------------------------------

-- want_string(tree, name, what) -> the attribute as a string (numbers convert), nil when unset.
local function want_string(tree, name, what)
  local v = tree.attrs[name]
  if v == nil then return nil end
  if type(v) == "number" then return hcl.functions.tostring({ v, n = 1 }) end
  if type(v) ~= "string" then
    raise("ECONFIG", "%s: %s must be a string, got %s", at(tree, name), what or name, hcl.type_name(v))
  end
  return v
end

-- A string or a list of strings, as a list.
local function want_strings(tree, name, what)
  local v = tree.attrs[name]
  if v == nil then return {} end
  if type(v) == "string" then return { v } end
  if type(v) == "table" and (hcl.is_list(v) or next(v) == nil) then
    local out = {}
    for i, item in ipairs(v) do
      if type(item) ~= "string" then
        raise("ECONFIG", "%s: %s[%d] must be a string, got %s", at(tree, name), what or name, i - 1,
              hcl.type_name(item))
      end
      out[i] = item
    end
    return out
  end
  raise("ECONFIG", "%s: %s must be a string or a list of strings, got %s", at(tree, name), what or name,
        hcl.type_name(v))
end

-- one_of(tree, name, value, choices, what) -> the canonical spelling of value, or a config error listing the choices.
local function one_of(tree, name, value, choices, what)
  for _, c in ipairs(choices) do
    if c == value then return value end
  end
  raise("ECONFIG", "%s: %s must be one of %s, got %q", at(tree, name), what, table.concat(choices, ", "), value)
end

-- block_table(tree) -> attrs plus sub-blocks as fields (labelled ones keyed by label)
local function block_table(tree)
  local t = {}
  for k, v in pairs(tree.attrs) do t[k] = v end
  for _, b in ipairs(tree.blocks) do
    local sub = block_table(b)
    if #b.labels > 0 then
      t[b.type] = t[b.type] or {}
      t[b.type][b.labels[1]] = sub
    else
      t[b.type] = sub
    end
  end
  return t
end

-- merge(base, over) -> a deep copy of base with over's fields on top (tables merge)
local function merge(base, over)
  local out = {}
  for k, v in pairs(base or {}) do out[k] = v end
  for k, v in pairs(over or {}) do
    if type(v) == "table" and type(out[k]) == "table" and not hcl.is_list(v) and not hcl.is_list(out[k]) then
      out[k] = merge(out[k], v)
    else
      out[k] = v
    end
  end
  return out
end

-- deep_copy(v) -> a copy of a plain value tree (lists keep their marking)
local function deep_copy(v)
  if type(v) ~= "table" or v == hcl.null then return v end
  local out = setmetatable({}, getmetatable(v) == hcl.List and hcl.List or nil)
  for k, x in pairs(v) do out[k] = deep_copy(x) end
  return out
end

---------------------------------------------------------------------------
-- Top-level resolution: variables, locals, data
---------------------------------------------------------------------------

-- Variables: --var values win over defaults; no default and no value is an error.
local function resolve_vars(body, opts, base_ctx, cfg)
  local given = opts.vars or {}
  local vars, declared = {}, {}
  for _, b in ipairs(hcl.blocks_of(body, "variable")) do
    if #b.labels ~= 1 then
      raise("ECONFIG", "%s: a variable block needs exactly one label, its name", where(b))
    end
    local name = b.labels[1]
    if declared[name] then
      raise("ECONFIG", "%s: variable \"%s\" is declared twice (first at %s)", where(b), name, where(declared[name]))
    end
    declared[name] = b
  end
  for _, b in ipairs(hcl.blocks_of(body, "variable")) do
    local name = b.labels[1]
    if given[name] ~= nil then
      vars[name] = given[name]
    else
      local dflt = b.body.by_name.default
      if not dflt then
        raise("ECONFIG", "%s: missing value for required variable \"%s\" (pass --var %s=VALUE)",
              where(b), name, name)
      end
      local v, msg = hcl.eval_expr(dflt.expr, base_ctx)
      vars[name] = check(v, msg)
    end
  end
  local extra = {}
  for name in pairs(given) do
    if not declared[name] then extra[#extra + 1] = name end
  end
  table.sort(extra)
  for _, name in ipairs(extra) do
    cfg.notes[#cfg.notes + 1] = string.format("--var %s is not declared by a variable block; ignored", name)
  end
  return vars
end

-- Locals: evaluated on first use, so they may refer to each other in any order.
local function lazy_locals(body, ctx)
  local defs, order = {}, {}
  for _, b in ipairs(hcl.blocks_of(body, "locals")) do
    if #b.labels > 0 then raise("ECONFIG", "%s: a locals block takes no labels", where(b)) end
    if #b.body.blocks > 0 then
      raise("ECONFIG", "%s: a locals block holds attributes only", where(b.body.blocks[1]))
    end
    for _, attr in ipairs(b.body.attrs) do
      if defs[attr.name] then
        raise("ECONFIG", "%s: local \"%s\" is defined twice (first at %s)", where(attr), attr.name,
              where(defs[attr.name]))
      end
      defs[attr.name] = attr
      order[#order + 1] = attr.name
    end
  end
  local busy = {}
  local locals = setmetatable({}, {
    __index = function(t, name)
      local def = defs[name]
      if not def then return nil end
      if busy[name] then
        hcl.raise(string.format("%s: local.%s refers to itself", where(def), name))
      end
      busy[name] = true
      local v = hcl.value(def.expr, ctx)
      busy[name] = nil
      rawset(t, name, v)
      return v
    end,
  })
  return locals, order
end

-- The record of one data source (attributes plus what Atlas derives from them).
local function data_record(block, ctx)
  local kind, name = block.type_labels[1], block.type_labels[2]
  local tree, msg = hcl.evaluate(block.block, ctx)
  if not tree then hcl.raise(msg) end
  local rec = { kind = kind, name = name, file = tree.file, line = tree.line, col = tree.col, attrs = tree.attrs }
  for k, v in pairs(tree.attrs) do rec[k] = v end
  if kind == "external_schema" or kind == "external" then
    local program = tree.attrs.program
    local ok = type(program) == "table" and hcl.is_list(program)
    for _, arg in ipairs(ok and program or {}) do ok = ok and type(arg) == "string" end
    if not ok then
      hcl.raise(string.format("%s: data \"%s\" \"%s\": program must be a non-empty list of strings",
                              at(tree, tree.pos.program and "program"), kind, name))
    end
  end
  if rec.url == nil then rec.url = kind .. "://" .. name end
  return rec
end

-- Data sources: data[kind][name], evaluated on first use (cycle-checked).
local function lazy_data(body, ctx, opts, project_dir)
  local defs, order = {}, {}
  for _, b in ipairs(hcl.blocks_of(body, "data")) do
    if #b.labels ~= 2 then
      raise("ECONFIG", "%s: a data block needs two labels: the kind and the name", where(b))
    end
    local kind, name = b.labels[1], b.labels[2]
    defs[kind] = defs[kind] or {}
    if defs[kind][name] then
      raise("ECONFIG", "%s: data \"%s\" \"%s\" is defined twice (first at %s)", where(b), kind, name,
            where(defs[kind][name].block))
    end
    defs[kind][name] = { block = b, type_labels = b.labels }
    order[#order + 1] = { kind, name }
  end
  local records, busy, outputs = {}, {}, {}
  local function record(kind, name)
    records[kind] = records[kind] or {}
    local rec = records[kind][name]
    if rec then return rec end
    local def = defs[kind][name]
    local key = kind .. "." .. name
    if busy[key] then hcl.raise(string.format("%s: data.%s refers to itself", where(def.block), key)) end
    busy[key] = true
    rec = data_record(def, ctx)
    busy[key] = nil
    records[kind][name] = rec
    return rec
  end
  local data = setmetatable({}, {
    __index = function(t, kind)
      if not defs[kind] then return nil end
      local kt = setmetatable({}, {
        __index = function(_, name)
          if not defs[kind][name] then return nil end
          local rec = record(kind, name)
          if kind ~= "external" then return rec end
          -- data.external.X is the program's output, which only a runner can give.
          if outputs[name] == nil then
            if not opts.run_external then
              hcl.raise(string.format("%s: data.external.%s: the program's output is not available here "
                .. "(external programs are not run while loading the project)", where(defs[kind][name].block), name))
            end
            local out, err = opts.run_external(name, rec, project_dir)
            if out == nil then
              hcl.raise(string.format("%s: data.external.%s: %s", where(defs[kind][name].block), name, tostring(err)))
            end
            outputs[name] = out
          end
          return outputs[name]
        end,
      })
      rawset(t, kind, kt)
      return kt
    end,
  })
  return data, order, record, records
end

---------------------------------------------------------------------------
-- Envs
---------------------------------------------------------------------------

-- env_instances(block, ctx) -> list of { each = {key=, value=} } (one { } without for_each)
local function env_instances(block, ctx)
  local fe = block.body.by_name.for_each
  if not fe then return { {} } end
  local coll, msg = hcl.eval_expr(fe.expr, ctx)
  check(coll, msg)
  local out = {}
  if type(coll) ~= "table" or coll == hcl.null then
    raise("ECONFIG", "%s: for_each must be a set, list or map, got %s", where(fe), hcl.type_name(coll))
  end
  if hcl.is_list(coll) then
    for _, v in ipairs(coll) do out[#out + 1] = { each = { key = v, value = v } } end
  else
    local keys = {}
    for k in pairs(coll) do keys[#keys + 1] = k end
    table.sort(keys)
    for _, k in ipairs(keys) do out[#out + 1] = { each = { key = k, value = coll[k] } } end
  end
  if #out == 0 then
    raise("ECONFIG", "%s: for_each of the env is empty", where(fe))
  end
  return out
end

-- with(ctx, fields) -> a copy of ctx with fields set (ctx itself is shared).
local function with(ctx, fields)
  local c = {}
  for k, v in pairs(ctx) do c[k] = v end
  for k, v in pairs(fields) do c[k] = v end
  return c
end

-- The env's name for a dynamic (unlabelled) env: its `name` attribute.
local function dynamic_name(block, ctx)
  local attr = block.body.by_name.name
  if not attr then
    raise("ECONFIG", "%s: an env block without a label needs a name attribute (name = atlas.env)", where(block))
  end
  local inst = env_instances(block, ctx)[1]
  local v, msg = hcl.eval_expr(attr.expr, with(ctx, inst))
  check(v, msg)
  if type(v) ~= "string" then
    raise("ECONFIG", "%s: the env name must be a string, got %s", where(attr), hcl.type_name(v))
  end
  return v
end

-- normalize(tree, cfg, globals): the env's evaluated tree into cfg's fields.
local function normalize(tree, cfg, globals)
  cfg.attrs = tree.attrs
  cfg.attrs.for_each = nil
  for name, p in pairs(tree.pos) do
    cfg.pos[name] = string.format("%s:%d:%d", tree.file, p.line, p.col)
  end
  cfg.url = want_string(tree, "url")
  cfg.dev = want_string(tree, "dev")
  cfg.src = want_strings(tree, "src")
  cfg.schemas = want_strings(tree, "schemas")
  cfg.exclude = want_strings(tree, "exclude")
  local seen = {}
  local lint, diff, format = globals.lint, globals.diff, {}
  for _, b in ipairs(tree.blocks) do
    if seen[b.type] and (b.type == "migration" or b.type == "lint" or b.type == "diff" or b.type == "format") then
      raise("ECONFIG", "%s: env \"%s\" has more than one %s block", at(b), cfg.env, b.type)
    end
    seen[b.type] = true
    if b.type == "migration" then
      local m = cfg.migration
      m.dir = want_string(b, "dir", "migration.dir") or m.dir
      m.format = want_string(b, "format", "migration.format") or m.format
      one_of(b, "format", m.format, M.MIGRATION_FORMATS, "migration.format")
      m.baseline = want_string(b, "baseline", "migration.baseline")
      local order = want_string(b, "exec_order", "migration.exec_order")
      if order then
        if not M.EXEC_ORDERS[order] then
          one_of(b, "exec_order", order, { "LINEAR", "LINEAR_SKIP", "NON_LINEAR" }, "migration.exec_order")
        end
        m.exec_order = M.EXEC_ORDERS[order]
      end
      m.lock_timeout = want_string(b, "lock_timeout", "migration.lock_timeout") or m.lock_timeout
      m.revisions_schema = want_string(b, "revisions_schema", "migration.revisions_schema")
      m.tx_mode = want_string(b, "tx_mode", "migration.tx_mode")
      if m.tx_mode then
        m.tx_mode = m.tx_mode:lower()
        one_of(b, "tx_mode", m.tx_mode, M.TX_MODES, "migration.tx_mode")
      end
      local dir_path, msg = M.dir_path(m.dir, cfg.dir)
      if not dir_path then raise("ECONFIG", "%s: %s", at(b, "dir"), msg) end
      m.path = dir_path
      m.attrs = block_table(b)
    elseif b.type == "lint" then
      lint = merge(lint, block_table(b))
    elseif b.type == "diff" then
      diff = merge(diff, block_table(b))
    elseif b.type == "format" then
      format = block_table(b)
    else
      cfg.attrs[b.type] = block_table(b)
    end
  end
  cfg.lint, cfg.diff, cfg.format = lint, diff, format
end

---------------------------------------------------------------------------
-- Loading
---------------------------------------------------------------------------

local KNOWN_TOP = { variable = true, locals = true, data = true, env = true, lint = true, diff = true }

-- load_body(body, opts, cfg) -> cfg filled from a parsed atlas.hcl: variables, locals, data, the env.
local function load_body(body, opts, cfg)
  local base_ctx = { getenv = opts.getenv, dir = cfg.dir, functions = opts.functions }
  local ctx = with(base_ctx, {})
  ctx.var = resolve_vars(body, opts, base_ctx, cfg)
  local locals, local_order = lazy_locals(body, ctx)
  ctx["local"] = locals
  local data, data_order, data_record_of, records = lazy_data(body, ctx, opts, cfg.dir)
  ctx.data = data

  for _, b in ipairs(body.blocks) do
    if not KNOWN_TOP[b.type] then
      cfg.notes[#cfg.notes + 1] = string.format("%s: ignored block \"%s\"", where(b), b.type)
    end
  end
  for _, attr in ipairs(body.attrs) do
    cfg.notes[#cfg.notes + 1] = string.format("%s: ignored top-level attribute \"%s\"", where(attr), attr.name)
  end

  -- The envs: labelled ones by name, unlabelled ones matched by their name attribute.
  local named, dynamic = {}, {}
  for _, b in ipairs(hcl.blocks_of(body, "env")) do
    if #b.labels > 1 then raise("ECONFIG", "%s: an env block takes at most one label", where(b)) end
    if #b.labels == 1 then
      local name = b.labels[1]
      if named[name] then
        raise("ECONFIG", "%s: env \"%s\" is defined twice (first at %s)", where(b), name, where(named[name]))
      end
      named[name] = b
      cfg.envs[#cfg.envs + 1] = name
    else
      dynamic[#dynamic + 1] = b
    end
  end

  local requested = opts.env
  local chosen, chosen_name
  if requested then
    chosen, chosen_name = named[requested], requested
    if not chosen then
      ctx.atlas = { env = requested }
      for _, b in ipairs(dynamic) do
        if dynamic_name(b, ctx) == requested then
          chosen = b
          break
        end
      end
    end
    if not chosen then
      local known = #cfg.envs > 0 and ("defined envs: " .. quoted_list(cfg.envs)) or "it defines no named env"
      if #dynamic > 0 then known = known .. "; no unlabelled env matched" end
      raise("ECONFIG", "%s: env \"%s\" is not defined (%s)", cfg.file, requested, known)
    end
  else
    local all = hcl.blocks_of(body, "env")
    if #all == 1 then
      chosen, chosen_name = all[1], all[1].labels[1] or ""
    elseif opts.require_env then
      if #all == 0 then
        raise("ECONFIG", "%s: no env block is defined, but an env is required", cfg.file)
      end
      raise("ECONFIG", "%s: %d envs are defined; choose one with --env (%s)", cfg.file, #all,
            #cfg.envs > 0 and quoted_list(cfg.envs) or "unlabelled envs need --env")
    end
  end
  ctx.atlas = { env = chosen_name or "" }

  -- Top-level lint/diff policies; the env's blocks extend them.
  local globals = { lint = {}, diff = {} }
  for _, kind in ipairs({ "lint", "diff" }) do
    for _, b in ipairs(hcl.blocks_of(body, kind)) do
      local tree, msg = hcl.evaluate(b, ctx)
      check(tree, msg)
      globals[kind] = merge(globals[kind], block_table(tree))
    end
  end
  cfg.lint, cfg.diff = globals.lint, globals.diff

  if chosen then
    cfg.env = chosen_name
    local instances = env_instances(chosen, ctx)
    local configs = {}
    local pristine = deep_copy(cfg)
    for i, inst in ipairs(instances) do
      local c = cfg
      if i > 1 then
        c = deep_copy(pristine)
        c.notes = cfg.notes
      end
      local tree, msg = hcl.evaluate(chosen, with(ctx, inst))
      check(tree, msg)
      normalize(tree, c, globals)
      configs[i] = c
    end
    if chosen.body.by_name.for_each then
      local keys, values = {}, {}
      for i, inst in ipairs(instances) do keys[i], values[i] = inst.each.key, inst.each.value end
      cfg.for_each = { count = #instances, keys = keys, values = values }
      cfg.instances = configs
      for _, c in ipairs(configs) do c.for_each, c.instances = cfg.for_each, configs end
      if #instances > 1 then
        cfg.notes[#cfg.notes + 1] = string.format(
          "%s: env \"%s\" has for_each with %d instances; using the first (%s); all are in config.instances",
          where(chosen), chosen_name, #instances, tostring(values[1]))
      end
    end
  end

  -- Force every local and data source, so that errors surface now and the
  -- config carries plain values.
  for _, name in ipairs(local_order) do cfg.locals[name] = locals[name] end
  for _, kn in ipairs(data_order) do data_record_of(kn[1], kn[2]) end
  for _, c in ipairs(cfg.instances or { cfg }) do
    c.locals, c.data, c.vars = cfg.locals, records, ctx.var
  end
  return cfg
end

--- project.load(opts) -> config | nil, msg, code   (see the top of this file)
function M.load(opts)
  opts = opts or {}
  local file = opts.file or "atlas.hcl"
  file = file:gsub("^file://", "")
  local cfg = defaults(file)
  local text = opts.text
  if not text then
    local f, err = io.open(file, "rb")
    if not f then
      local exists = os.rename(file, file)  -- distinguishes "missing" from other failures
      if exists then return nil, tostring(err), "EIO" end
      if opts.require_env or opts.env then
        local why = opts.env and string.format("needed for env \"%s\"", opts.env) or "an env is required"
        return nil, string.format("%s: project file not found (%s)", file, why), "ENOENT"
      end
      return cfg
    end
    text = f:read("a")
    f:close()
    if not text then return nil, file .. ": read error", "EIO" end
  end
  cfg.found = true
  local body, msg, code = hcl.parse(text, file)
  if not body then return nil, msg, code end
  local ok, res = pcall(load_body, body, opts, cfg)
  if ok then return res end
  if getmetatable(res) == ConfigError or hcl.is_error(res) then return nil, res.msg, res.code end
  error(res, 0)  -- a bug, not a user error
end

return M
