--- dbhost.schema.compare: the `dbhost schema diff` command: both sources loaded at once,
-- the plan (dbhost.schema.diff), its verification on a dev database, the output.
local errors = require "dbhost.errors"
local connect = require "dbhost.db.connect"
local run = require "dbhost.db.run"
local source = require "dbhost.schema.source"
local diff = require "dbhost.schema.diff"
local model = require "dbhost.schema.model"
local render = require "dbhost.schema.render"
local inspect = require "dbhost.schema.inspect"
local subset = require "dbhost.schema.subset"
local devdb = require "dbhost.db.dev"

local M = {}

-- Apply a plan on conn: one transaction, or statement by statement for txmode none.
local function apply(conn, plan)
  if not plan.txmode_none then assert(conn:exec("BEGIN")) end
  for i, s in ipairs(plan.statements) do
    local ok, err = conn:exec(s.sql)
    if not ok then
      if not plan.txmode_none then conn:exec("ROLLBACK") end
      return nil, ("statement %d (%s) failed: %s"):format(i, s.comment or "", tostring(err))
    end
  end
  if not plan.txmode_none then
    local ok, err = conn:exec("COMMIT")
    if not ok then return nil, "COMMIT failed: " .. tostring(err) end
  end
  return true
end

-- A table of base whose CREATE TABLE needs no other table: no parent, partition root or
-- row type of one (foreign keys come later, in statements of their own).
local function stands_alone(base, key)
  local t = key and base.tables[key]
  if not t or t.partition_of or #(t.parents or {}) > 0 or t.of_type then return false end
  for _, c in pairs(t.columns) do
    local ty = c.type:gsub("%[%]$", "")
    -- a schema-qualified type that is not one of base's types may be a table's row type
    if ty:find(".", 1, true) and not base.types[(ty:gsub('"', ""))] then return false end
  end
  return true
end

-- Least number of tables worth a second connection.
local PARALLEL_TABLES = 16

--- compare.recreate(dev, conn, base) -> true | nil, message: create the model base on the
-- dev database conn is connected to (dev: a dbhost.db.dev or its URL), as the
-- verification does: the SQL in one round trip (dbhost.db.run), except that the tables,
-- the bulk of the work, are created on two connections at once when there are many.
local function recreate(dev, conn, base)
  local bplan, err = render.plan(base)
  if not bplan then return nil, err end
  local stmts = bplan.statements
  -- the CREATE TABLE statements (one run: the planner's table phase); those of tables that
  -- stand alone can be made in any order, so first, on two connections; the others after
  local first, last
  for i, st in ipairs(stmts) do
    if (st.comment or ""):match("^create table ") then
      first, last = first or i, i
    elseif first then
      break
    end
  end
  local alone, rest = {}, {}
  for i = first or 1, last or 0 do
    local st = stmts[i]
    local key = st.comment:match("^create table (.*)$")
    local list = (not st.sql:find("REFERENCES", 1, true) and stands_alone(base, key)) and alone or rest
    list[#list + 1] = st.sql
  end
  if #alone < PARALLEL_TABLES then
    return run.batch(conn, diff.render(bplan), "(current schema)")
  end
  local function text(from, to)
    local out = {}
    for i = from, to do out[#out + 1] = stmts[i].sql end
    return table.concat(out, ";\n")
  end
  local ok
  if first > 1 then
    ok, err = run.batch(conn, text(1, first - 1), "(current schema)")
    if not ok then return nil, err end
  end
  local conn2
  conn2, err = connect.dev(dev)
  if not conn2 then return nil, err end
  local halves = { {}, {} }
  for i, sql in ipairs(alone) do table.insert(halves[i % 2 + 1], sql) end
  for i, c in ipairs { conn, conn2 } do
    ok, err = c:send(table.concat(halves[i], ";\n"))
    if not ok then conn2:close() return nil, errors.message(err) end
  end
  for _, c in ipairs { conn, conn2 } do
    local res, rerr = c:result()
    err = err or (not res and errors.message(rerr)) or nil
  end
  conn2:close()
  if err then return nil, "(current schema): " .. err end
  local tail = table.concat(rest, ";\n")
  if last < #stmts then tail = tail .. (tail ~= "" and ";\n" or "") .. text(last + 1, #stmts) end
  if tail ~= "" then return run.batch(conn, tail, "(current schema)") end
  return true
end

-- Apply the plan on a dev database holding `base` (rendered as SQL), inspect, compare with
-- `want`. -> true | nil, message
local function verify_on_dev(plan, base, want, opts, dev)
  local err
  if not dev then dev, err = devdb.open(opts.dev_url or source.DEFAULT_DEV_URL) end
  if not dev then return nil, "opening the dev database: " .. tostring(err) end
  local conn
  conn, err = connect.dev(dev)
  if not conn then dev:close() return nil, err end
  local function done(...)
    conn:close()
    dev:close()
    return ...
  end
  -- function bodies were checked where they came from; the copy need not re-check them
  conn:exec("SET check_function_bodies = off")
  local ok
  ok, err = M.recreate(dev, conn, base)
  if not ok then return done(nil, "recreating the current schema: " .. err) end
  conn:exec("RESET check_function_bodies")
  ok, err = apply(conn, plan)
  if not ok then return done(nil, "applying the plan to a copy of the current state: " .. err) end
  local after, ierr = inspect.inspect(conn, { schemas = opts.schemas })
  if not after then return done(nil, "inspecting after the plan: " .. tostring(ierr)) end
  local same, diffs = model.compare(after, want)
  if not same then
    return done(nil, "the plan does not reach the desired schema:\n  " .. table.concat(diffs, "\n  "))
  end
  return done(true)
end

-- The same statements, in the same order?
local function same_statements(a, b)
  if #a.statements ~= #b.statements then return false end
  for i, s in ipairs(a.statements) do
    if s.sql ~= b.statements[i].sql then return false end
  end
  return true
end

-- Verify: apply the plan to a copy of the current state, inspect, compare with the desired
-- model. A database source is copied onto a dev database: only the part of the schema the
-- plan is about (dbhost.schema.subset) when the plan of that part is the same statements,
-- else all of it; the part is used only to say yes (a failure there is checked on the whole).
local function verify(plan, from_info, from, to, opts, dev)
  local conn = from_info.conn
  if not conn then
    local fsub, tsub = subset.of(plan, from, to)
    if fsub then
      local sub_plan = diff.plan(fsub, tsub, opts.plan_opts)
      if sub_plan and same_statements(sub_plan, plan) then
        local ok = verify_on_dev(plan, fsub, tsub, opts, dev)
        dev = nil
        if ok then return true end
      end
    end
    if dev then dev:close() end
    return verify_on_dev(plan, from, to, opts)
  end
  if dev then dev:close() end
  local ok, err = apply(conn, plan)
  if not ok then return nil, "applying the plan to a copy of the current state: " .. err end
  local after, ierr = inspect.inspect(conn, { schemas = opts.schemas })
  if not after then return nil, "inspecting after the plan: " .. tostring(ierr) end
  local same, diffs = model.compare(after, to)
  if not same then
    return nil, "the plan does not reach the desired schema:\n  " .. table.concat(diffs, "\n  ")
  end
  return true
end

M.recreate = recreate

-- Relations (both sides) from which the dev database is opened while they are read.
M.EARLY_DEV_RELATIONS = 300

--- the command's flags
M.options = {
  { "from", arg = "SRC", help = "the current state" },
  { "to", arg = "SRC", help = "the desired state" },
  { "dev-url", arg = "URL", help = "dev database for SQL sources and verification" },
  { "schema", arg = "NAME", many = true, help = "only this schema (repeatable)" },
  { "skip-verify", help = "do not apply the plan to a dev database to check it" },
  { "concurrent-index", help = "CREATE/DROP INDEX CONCURRENTLY on tables that stay (outside a transaction)" },
}

--- compare.run(opts) -> 0: the plan on stdout, notes on stderr; raises when verification fails
function M.run(opts)
  if not opts.from or not opts.to then
    errors.usage("schema diff needs --from and --to (see 'dbhost schema diff --help')")
  end
  local lopts = { dev_url = opts.dev_url, schemas = opts.schema, keep = not opts.skip_verify }
  -- both sides are read at the same time; when the current state is a database, the dev
  -- database for the verification is opened meanwhile (closed unused if nothing changed)
  -- (when that fails, the verification tries again and says why); not for small schemas,
  -- read in less time than a dev server takes to start
  local dev
  local meanwhile
  if not opts.skip_verify and opts.from:match("^postgres[a-z]*://") then
    meanwhile = function(relations)
      if relations >= M.EARLY_DEV_RELATIONS then dev = devdb.open(opts.dev_url or source.DEFAULT_DEV_URL) end
    end
  end
  local from, finfo, to, tinfo = source.load_pair(opts.from, lopts, opts.to,
    { dev_url = opts.dev_url, schemas = opts.schema }, meanwhile)
  if not from then
    if dev then dev:close() end
    -- (on failure: message, code, and which side failed)
    errors.raise_at(to == "ECONFIG" and 2 or 1, { code = to }, "%s: %s", tinfo == 1 and "--from" or "--to", finfo)
  end
  local plan_opts = { concurrent_index = opts.concurrent_index and { create = true, drop = true } or nil }
  local plan, perr = diff.plan(from, to, plan_opts)
  if not plan then errors.failed("%s", perr) end
  local vok, verr = true, nil
  if not opts.skip_verify and #plan.statements > 0 then
    vok, verr = verify(plan, finfo, from, to, { dev_url = opts.dev_url, schemas = opts.schema, plan_opts = plan_opts }, dev)
  elseif dev then
    dev:close()
  end
  if finfo.conn then finfo.conn:close() finfo.dev:close() end
  if #plan.statements == 0 then
    io.stdout:write("Schemas are synced, no changes to be made.\n")
    return 0
  end
  io.stdout:write(diff.render(plan))
  local seen = {}
  for _, n in ipairs(plan.notes) do
    if not seen[n] then
      seen[n] = true
      io.stderr:write("dbhost: note: ", n, "\n")
    end
  end
  if not vok then errors.failed("verification failed: %s", verr) end
  return 0
end

return M
