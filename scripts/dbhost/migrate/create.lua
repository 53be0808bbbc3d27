--- dbhost.migrate.create: `dbhost create-migrations`: the next migration, from the diff
-- of the desired schema against the replayed directory.
--
-- The logic of `scripts/commands/create-migrations.lua`, which keeps only the command's
-- summary, usage and description.
local diff = require "dbhost.schema.diff"
local model = require "dbhost.schema.model"
local desired = require "dbhost.desired"
local sumcheck = require "dbhost.migrate.sumcheck"
local workspace = require "dbhost.project.workspace"
local errors = require "dbhost.errors"
local hash = require "dbhost.hash"
local cfn = require "dbhost.cfn"
local fs = require "dbhost.fs"

-- "Add users!" -> "add_users"; letters beyond ASCII are kept as they are
-- ("Ajout café" -> "ajout_café"), as Atlas keeps them. Not UTF-8: a usage error.
local function slug(name)
  if not utf8.len(name) then
    errors.usage("migration name %q is not valid UTF-8", name)
  end
  local s = name:lower():gsub("[^%w\128-\255]+", "_"):gsub("^_+", ""):gsub("_+$", "")
  return s
end

local function utc_stamp(t)
  return os.date("!%Y%m%d%H%M%S", t)
end

-- A version after every existing one (the clock may be behind a file's timestamp).
local function next_version(dir_files)
  local t = os.time()
  local v = utc_stamp(t)
  local last = dir_files[#dir_files]
  while last and v <= (last:match("^([^_]*)") or "") do
    t = t + 1
    v = utc_stamp(t)
  end
  return v
end

local M = {}

--- the command's flags
M.options = workspace.with(workspace.template_option,
  { "to", arg = "SRC", many = true, help = "desired schema: file://schema.sql, a folder, a database URL" },
  { "dev-url", arg = "URL", help = "throwaway database (default: dev of the env, else local://postgres)" })

--- create.run(opts, args) -> 0: writes DIR/<version>_<NAME>.sql, atlas.sum and MigrationHash, self-checked by a replay
function M.run(opts, args)
  if args[1] then slug(args[1]) end  -- a bad name is refused before any work
  local ws = workspace.open(opts)
  local ok, serr = sumcheck.validate(ws.dir)
  if not ok then
    io.stdout:write(serr.text)
    errors.failed("%s", serr.summary)
  end
  local src = desired.sources(ws, opts)
  -- the replayed dev database stays open (unless the replay came from the cache) so that
  -- the self-check below replays only the new files on it
  local current, cinfo = desired.replay(ws, opts, "on_miss")
  local function close_dev()
    if cinfo and cinfo.conn then cinfo.conn:close() cinfo.dev:close() cinfo.conn = nil end
  end
  local okw, want = pcall(desired.load, src, ws, opts)
  if not okw then close_dev() error(want, 0) end
  local policy = ws.config.diff or {}
  local plan, perr = diff.plan(current, want, { concurrent_index = policy.concurrent_index })
  if not plan then close_dev() errors.failed("%s", tostring(perr)) end
  if #plan.statements == 0 then
    close_dev()
    io.stdout:write("The migration directory is synced with the desired state, no changes to be made\n")
    return 0
  end

  local names = {}
  for _, n in ipairs(assert(fs.list(ws.dir))) do
    if n:match("%.sql$") then names[#names + 1] = n end
  end
  local name = args[1] and slug(args[1]) or ""
  local suffix = name ~= "" and ("_" .. name) or ""

  -- Statements PostgreSQL must run outside a transaction go into files of their own so
  -- that the rest (drops included) still runs in one transaction and fails as a whole:
  -- enum values used in the same migration before it, CREATE/DROP INDEX CONCURRENTLY
  -- (diff { concurrent_index { ... } } in atlas.hcl) after it.
  local before, inside, after = {}, {}, {}
  for _, st in ipairs(plan.statements) do
    if st.txmode ~= "none" then inside[#inside + 1] = st
    elseif st.outside == "after" then after[#after + 1] = st
    else before[#before + 1] = st end
  end
  local files = {}
  if #inside == 0 or #before + #after == 0 then
    files[1] = { plan = plan, tag = suffix }
  else
    if #before > 0 then
      files[#files + 1] = { plan = { statements = before, txmode_none = true }, tag = suffix .. "_outside_tx" }
    end
    files[#files + 1] = { plan = { statements = inside, txmode_none = false }, tag = suffix }
    if #after > 0 then
      files[#files + 1] = { plan = { statements = after, txmode_none = true }, tag = suffix .. "_concurrently" }
    end
  end
  for _, f in ipairs(files) do
    f.name = next_version(names) .. f.tag .. ".sql"
    f.path = ws.dir .. "/" .. f.name
    names[#names + 1] = f.name
  end
  local sum_path = ws.dir .. "/atlas.sum"
  local old_sum = fs.read(sum_path)
  local old_template = ws.template and fs.read(ws.template)

  local function restore()
    close_dev()
    for _, f in ipairs(files) do fs.remove(f.path) end
    if old_sum then fs.write(sum_path, old_sum) else fs.remove(sum_path) end
    if old_template then fs.write(ws.template, old_template) end
  end

  for _, f in ipairs(files) do
    local ok_w, werr_w = fs.write(f.path, diff.render(f.plan))
    if not ok_w then
      restore()
      errors.failed("%s", werr_w)
    end
  end
  local text, entries = hash.atlas_sum(ws.dir)
  if not text then
    restore()
    errors.failed("%s", entries)
  end
  local wrote, werr = fs.write(sum_path, text)
  if wrote and ws.template then wrote, werr = cfn.set_migration_hash(ws.template, "h1:" .. entries.total, ws.template_resource) end
  if not wrote then
    restore()
    errors.failed("%s", werr)
  end

  -- the new directory must now replay to the desired schema
  local okv, replayed
  if cinfo and cinfo.conn then
    okv, replayed = pcall(desired.replay_more, ws, opts, cinfo)
  else
    okv, replayed = pcall(desired.replay, ws, opts)
  end
  close_dev()
  local same, differences
  if okv then same, differences = model.compare(replayed, want) end
  if not okv or not same then
    restore()
    local why = not okv and errors.message(replayed)
      or table.concat(differences, "\n  ")
    errors.failed("the generated migration does not reach the desired schema; nothing was written:\n  %s", why)
  end

  for _, f in ipairs(files) do
    local n = #f.plan.statements
    io.stdout:write(("wrote %s (%d %s%s)\n"):format(f.path, n, n == 1 and "statement" or "statements",
      f.plan.txmode_none and ", outside a transaction (-- atlas:txmode none), as PostgreSQL requires" or ""))
  end
  io.stdout:write(("updated %s%s\n"):format(sum_path, ws.template and (" and MigrationHash in " .. ws.template) or ""))
  -- what the replay of the directory reused (dbhost.migrate.replay.onto_dev's note)
  if cinfo and cinfo.reused then io.stdout:write(("replayed %s: %s\n"):format(ws.dir, cinfo.reused)) end
  local said = {}
  local function note(prefix, text)
    if text and not said[text] then
      said[text] = true
      io.stdout:write("  ", prefix, ": ", text, "\n")
    end
  end
  for _, st in ipairs(plan.statements) do
    if st.destructive then note("destructive", st.comment or st.sql) end
    note("note", st.rename_hint)
  end
  for _, text in ipairs(plan.notes or {}) do
    -- with the split, the planner's "the file runs outside a transaction" is said above
    if not (#files > 1 and text:find("txmode none", 1, true)) then note("note", text) end
  end
  return 0
end

return M
