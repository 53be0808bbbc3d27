--- dbhost.cli: the command-line conventions every command script shares.
--
-- A command script returns a table:
--   {
--     summary = "one line for 'dbhost help'",
--     usage   = "dbhost migrate hash [--dir DIR]",
--     description = "longer text (optional)",
--     options = { { "dir", arg = "DIR", help = "..." }, { "dry-run", help = "..." }, ... },
--     args    = { min = 0, max = 1 },          -- positional arguments (default: none)
--     run     = function(opts, args) ... return 0 end,
--   }
-- Options take `--name VALUE` or `--name=VALUE` when they have `arg` (a VALUE
-- starting with "-" only as `--name=VALUE`, so a forgotten value is caught), and are
-- booleans otherwise; `many = true` collects repeats into a list; `default`
-- fills a missing value. `--` ends the options. `raw_args = true` hands
-- every argument to the command unparsed. `-h`/`--help` shows usage.
local errors = require "dbhost.errors"

local M = {}

--- cli.parse(spec, argv, cmdname) -> opts, args | raises a usage error
function M.parse(spec, argv, cmdname)
  if spec.raw_args then  -- the command parses its own arguments
    if argv[1] == "-h" or argv[1] == "--help" then return { help = true }, {} end
    return {}, table.move(argv, 1, #argv, 1, {})
  end
  local byname = {}
  for _, o in ipairs(spec.options or {}) do byname[o[1]] = o end
  local opts, args = {}, {}
  local i, n = 1, #argv
  local function bad(fmt, ...)
    errors.usage("%s (see 'dbhost %s --help')", fmt:format(...), cmdname)
  end
  while i <= n do
    local a = argv[i]
    if a == "--" then
      for j = i + 1, n do args[#args + 1] = argv[j] end
      break
    elseif a == "-h" or a == "--help" then
      opts.help = true
    elseif a:sub(1, 2) == "--" then
      local name, value = a:match("^%-%-([^=]+)=(.*)$")
      name = name or a:sub(3)
      local o = byname[name]
      if not o then bad("unknown flag --%s for '%s'", name, cmdname) end
      if o.arg then
        if value == nil then
          i = i + 1
          value = argv[i]
          if value == nil then bad("flag --%s needs a value (%s)", name, o.arg) end
          -- "--url --dry-run" is a forgotten value, not a URL: a value that looks
          -- like a flag must be written --flag=value
          if value:sub(1, 1) == "-" and #value > 1 then
            bad("flag --%s needs a value (%s), not the flag %s; write --%s=%s if that is the value",
              name, o.arg, value, name, value)
          end
        end
        if o.choices then
          local okv = false
          for _, c in ipairs(o.choices) do okv = okv or c == value end
          if not okv then
            bad("flag --%s must be one of %s, not %q", name, table.concat(o.choices, ", "), value)
          end
        end
      else
        if value ~= nil then bad("flag --%s takes no value", name) end
        value = true
      end
      local key = name:gsub("%-", "_")
      if o.many then
        opts[key] = opts[key] or {}
        table.insert(opts[key], value)
      else
        opts[key] = value
      end
    elseif a:sub(1, 1) == "-" and #a > 1 then
      bad("unknown flag %s for '%s'", a, cmdname)
    else
      args[#args + 1] = a
    end
    i = i + 1
  end
  if opts.help then return opts, args end
  for _, o in ipairs(spec.options or {}) do
    local key = o[1]:gsub("%-", "_")
    if opts[key] == nil and o.default ~= nil then opts[key] = o.default end
  end
  local want = spec.args or { min = 0, max = 0 }
  if #args < (want.min or 0) then
    bad("'%s' needs %s", cmdname, want.name or "more arguments")
  elseif want.max and #args > want.max then
    bad("unexpected argument %q for '%s'", args[(want.max or 0) + 1], cmdname)
  end
  return opts, args
end

-- Levenshtein distance between two strings (bytes).
local function distance(a, b)
  local prev = {}
  for j = 0, #b do prev[j] = j end
  for i = 1, #a do
    local cur = { [0] = i }
    for j = 1, #b do
      local cost = a:byte(i) == b:byte(j) and 0 or 1
      cur[j] = math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost)
    end
    prev = cur
  end
  return prev[#b]
end
M.distance = distance

--- cli.nearest(word, candidates [, max]) -> { candidate, ... }: those at the smallest
-- edit distance from word (at most max, default a third of word's length and at least 2),
-- in the candidates' order; {} when none is that close
function M.nearest(word, candidates, max)
  max = max or math.max(2, #word // 3)
  local best, out = max + 1, {}
  for _, c in ipairs(candidates) do
    local d = distance(word, c)
    if d < best then best, out = d, { c } elseif d == best then out[#out + 1] = c end
  end
  return out
end

--- cli.wants_json(spec, argv) -> bool: the command offers --format and argv asks for json
-- (looked at before parsing, so that a usage error is JSON too)
function M.wants_json(spec, argv)
  local offers = false
  for _, o in ipairs(spec.options or {}) do offers = offers or o[1] == "format" end
  if not offers then return false end
  for i, a in ipairs(argv) do
    if a == "--" then break end
    if a == "--format=json" or (a == "--format" and argv[i + 1] == "json") then return true end
  end
  return false
end

--- cli.help_text(spec, cmdname) -> string: the usage shown by --help
function M.help_text(spec, cmdname)
  local out = {}
  out[#out + 1] = "Usage: " .. (spec.usage or ("dbhost " .. cmdname))
  if spec.summary then out[#out + 1] = "\n" .. spec.summary end
  if spec.description then out[#out + 1] = "\n" .. spec.description:gsub("%s+$", "") end
  if spec.options and #spec.options > 0 then
    out[#out + 1] = "\nOptions:"
    local width = 0
    local rows = {}
    for _, o in ipairs(spec.options) do
      local left = "--" .. o[1] .. (o.arg and (" " .. o.arg) or "")
      local help = o.help or ""
      if o.choices then help = help .. " (" .. table.concat(o.choices, "|") .. ")" end
      rows[#rows + 1] = { left, help, o.default }
      width = math.max(width, #left)
    end
    for _, r in ipairs(rows) do
      local help = r[2]
      if r[3] ~= nil and r[3] ~= false then help = help .. (" (default: %s)"):format(tostring(r[3])) end
      out[#out + 1] = ("  %-" .. width .. "s  %s"):format(r[1], help)
    end
    out[#out + 1] = ("  %-" .. width .. "s  %s"):format("-h, --help", "show this help")
  end
  return table.concat(out, "\n") .. "\n"
end

return M
