--- dbhost.main: the driver the host hands the command line to.
--
-- It finds the command script on the search path, parses its flags and runs
-- it. The search path is: the project's scripts/commands/ (relative to the
-- working directory), then DBHOST_PATH (';'-separated; an empty entry, as in
-- ';;', stands for the defaults), then the scripts bundled into dbhost.
-- "dbhost migrate hash" runs commands/migrate/hash.lua, or commands/migrate.lua
-- with "hash" as its first argument when no nested script exists.
-- The project's own Lua modules (scripts/dbhost/*.lua) come before the bundled ones,
-- as its commands do.
package.path = "scripts/?.lua;scripts/?/init.lua;" .. package.path

local host = require "dbhost.host"
local fs = require "dbhost.fs"
local cli = require "dbhost.cli"
local errors = require "dbhost.errors"

local M = {}

M.BUNDLE = "(bundled)"
M.PROJECT_DIR = "scripts/commands"

--- main.search_path() -> { dir, ... } where M.BUNDLE marks the bundled scripts
function M.search_path()
  local defaults = { M.PROJECT_DIR, M.BUNDLE }
  local env = os.getenv("DBHOST_PATH")
  if not env or env == "" then return defaults end
  local entries, has_defaults = {}, false
  for entry in (env .. ";"):gmatch("([^;]*);") do
    entries[#entries + 1] = entry
    has_defaults = has_defaults or entry == ""
  end
  if not has_defaults then
    table.insert(entries, 1, M.PROJECT_DIR)
    entries[#entries + 1] = M.BUNDLE
    return entries
  end
  -- ';;' places the defaults where it stands (once)
  local dirs = {}
  for _, entry in ipairs(entries) do
    if entry ~= "" then
      dirs[#dirs + 1] = entry
    elseif has_defaults then
      for _, d in ipairs(defaults) do dirs[#dirs + 1] = d end
      has_defaults = false
    end
  end
  return dirs
end

local function bundled(rel)
  return host.bundle_read("commands/" .. rel) ~= nil
end

local function is_file(path)
  local st = fs.stat(path)
  return st and st.type == "file"
end

--- main.locate(rel) -> location | nil: the first script named rel ("migrate/hash.lua")
function M.locate(rel)
  for _, dir in ipairs(M.search_path()) do
    if dir == M.BUNDLE then
      if bundled(rel) then return M.BUNDLE .. " commands/" .. rel end
    elseif is_file(dir .. "/" .. rel) then
      return dir .. "/" .. rel
    end
  end
  return nil
end

--- main.find(words) -> location, name, nwords | nil
-- The longest match wins: "migrate hash" before "migrate".
function M.find(words)
  -- "dbhost which 'migrate hash'" means the same as "dbhost which migrate hash"
  if #words == 1 and words[1]:find("%s") then
    local split = {}
    for w in words[1]:gmatch("%S+") do split[#split + 1] = w end
    words = split
  end
  for n = math.min(#words, 3), 1, -1 do
    local parts = {}
    for i = 1, n do
      if not words[i]:match("^[%w][%w_-]*$") then parts = nil break end
      parts[i] = words[i]
    end
    if parts then
      local loc = M.locate(table.concat(parts, "/") .. ".lua")
      if loc then return loc, table.concat(parts, " "), n end
    end
  end
  return nil
end

--- main.load(location) -> spec table | raises a config error
function M.load(location)
  local chunk, err
  local rel = location:match("^" .. M.BUNDLE:gsub("%p", "%%%0") .. " (.*)$")
  if rel then
    chunk = host.bundle_load(rel)
  else
    chunk, err = loadfile(location, "t")
    if not chunk then errors.config("%s", err) end
  end
  local spec = chunk()
  if type(spec) ~= "table" or type(spec.run) ~= "function" then
    errors.config("%s: a command script must return a table with a 'run' function", location)
  end
  return spec
end

local function walk_dir(dir, prefix, found)
  local names = fs.list(dir)
  if not names then return end
  for _, name in ipairs(names) do
    local path = dir .. "/" .. name
    local st = fs.stat(path)
    if st and st.type == "directory" then
      walk_dir(path, prefix .. name .. "/", found)
    elseif name:match("%.lua$") then
      found[#found + 1] = { rel = prefix .. name, location = path }
    end
  end
end

--- main.commands() -> { { name=, location= }, ... } sorted by name, first on the path wins
function M.commands()
  local seen, list = {}, {}
  for _, dir in ipairs(M.search_path()) do
    local found = {}
    if dir == M.BUNDLE then
      for _, p in ipairs(host.bundle_list()) do
        local rel = p:match("^commands/(.+%.lua)$")
        if rel then found[#found + 1] = { rel = rel, location = M.BUNDLE .. " " .. p } end
      end
    else
      walk_dir(dir, "", found)
    end
    for _, f in ipairs(found) do
      local name = f.rel:gsub("%.lua$", ""):gsub("/", " ")
      if not seen[name] then
        seen[name] = true
        list[#list + 1] = { name = name, location = f.location }
      end
    end
  end
  table.sort(list, function(a, b) return a.name < b.name end)
  return list
end

--- main.list_commands(commands) -> text: one line per command, "name  summary"
function M.list_commands(commands)
  local rows, width = {}, 0
  for _, c in ipairs(commands) do
    local ok, spec = pcall(M.load, c.location)
    local summary = ok and spec.summary or ("(cannot load: " .. tostring(spec) .. ")")
    rows[#rows + 1] = { c.name, summary }
    width = math.max(width, #c.name)
  end
  local out = {}
  for _, r in ipairs(rows) do out[#out + 1] = ("  %-" .. width .. "s  %s"):format(r[1], r[2]) end
  return table.concat(out, "\n") .. "\n"
end

--- main.group(word) -> { command, ... }: the commands "word SUB" (e.g. "migrate hash")
function M.group(word)
  local list = {}
  for _, c in ipairs(M.commands()) do
    if c.name:sub(1, #word + 1) == word .. " " then list[#list + 1] = c end
  end
  return list
end

-- A command that does not exist: a group name alone lists its commands (exit 0);
-- anything else is a usage error naming the nearest commands.
local function unknown_command(words)
  local typed = {}
  for _, w in ipairs(words) do
    if w:sub(1, 1) == "-" then break end
    typed[#typed + 1] = w
  end
  local group = typed[1] and M.group(typed[1]) or {}
  if #group > 0 and #typed == 1 then
    io.stdout:write(("'dbhost %s' needs a command:\n"):format(typed[1]), M.list_commands(group),
      ("Run 'dbhost %s COMMAND --help' for a command's flags.\n"):format(typed[1]))
    return 0
  end
  local wanted = table.concat(typed, " ")
  if wanted == "" then wanted = words[1] or "" end
  local names = {}
  for _, c in ipairs(M.commands()) do names[#names + 1] = c.name end
  local near = cli.nearest(wanted, names)
  if #near == 0 and #group > 0 then
    for _, c in ipairs(group) do near[#near + 1] = c.name end
  end
  local hint = ""
  if #near > 0 then
    for i, c in ipairs(near) do near[i] = "'" .. c .. "'" end
    hint = " (did you mean " .. table.concat(near, " or ") .. "?)"
  end
  errors.usage("unknown command '%s'%s; see 'dbhost help'", wanted, hint)
end

--- main.run_command(words) -> status: find, parse and run a command
function M.run_command(words)
  local location, name, n = M.find(words)
  if not location then return unknown_command(words) end
  local spec = M.load(location)
  local argv = table.move(words, n + 1, #words, 1, {})
  local function run()
    local opts, args = cli.parse(spec, argv, name)
    if opts.help then
      io.stdout:write(cli.help_text(spec, name))
      return 0
    end
    local status = spec.run(opts, args, { name = name, location = location })
    if status == nil or status == true then return 0 end
    if status == false then return 1 end
    return math.tointeger(status) or 1
  end
  local ok, result = xpcall(run, M.scrub_error)
  if ok then return result end
  -- --format json: every outcome is JSON on stdout, errors included (one shape,
  -- errors.document); the error itself still goes to stderr and sets the exit status.
  if cli.wants_json(spec, argv) then
    io.stdout:write(require("dbhost.json").encode(errors.document(result)), "\n")
  end
  error(result, 0)
end

--- main.scrub_error(e) -> e with the password of every URL the command connected to
-- masked (dbhost.db.connect remembers them), whichever command raised it; a plain
-- Lua error keeps its traceback (shown with DBHOST_DEBUG=1)
function M.scrub_error(e)
  local connect = package.loaded["dbhost.db.connect"]
  local scrub = connect and connect.scrub or function(text) return text end
  local scrubbed = errors.scrubbed(e, scrub)
  if type(scrubbed) == "string" then return debug.traceback(scrubbed, 2) end
  return scrubbed
end

--- main.main(arg) -> exit status (called by the host with the arg table)
function M.main(arg)
  -- A command lives for seconds: let the heap grow to four times what survived the last
  -- collection before the next one (Lua's default is twice). On a schema of thousands of
  -- tables that is ~15% less CPU for ~30% more memory at the peak.
  collectgarbage("incremental", 400, 200)
  local words = table.move(arg, 1, #arg, 1, {})
  local first = words[1]
  if first == nil or first == "-h" or first == "--help" then
    words = { "help" }
  elseif first == "--version" or first == "-V" then
    io.stdout:write(("dbhost %s (%s)\n"):format(host.version, host.lua_version))
    return 0
  elseif first:sub(1, 1) == "-" then
    errors.usage("unknown flag %s (see 'dbhost help')", first)
  end
  return M.run_command(words)
end

return M
