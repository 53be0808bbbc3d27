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

--- compare.recreate_start(dev, conn, base) -> finish | nil, message: start creating the
-- model base on the dev database conn is connected to (dev: a dbhost.db.dev or its URL), as
-- the verification does, and return at once; finish(more) -> true | nil, message completes
-- it, then runs the SQL text more (if any) in the same round trip. The SQL goes in as few
-- round trips as it can (dbhost.db.run.batch), except that the tables, the bulk of the work,
-- are created on two connections at once when there are many: what comes before them runs
-- first, the tables are sent on both connections, and the caller works meanwhile.
function M.recreate_start(dev, conn, base)
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
  local function finish_with(text)
    return function(more)
      if more and more ~= "" then text = text .. (text ~= "" and ";\n" or "") .. more end
      if text == "" then return true end
      return run.batch(conn, text, "(current schema)")
    end
  end
  if #alone < PARALLEL_TABLES then return finish_with(diff.render(bplan)) end
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
  local tail = table.concat(rest, ";\n")
  if last < #stmts then tail = tail .. (tail ~= "" and ";\n" or "") .. text(last + 1, #stmts) end
  local after = finish_with(tail)
  return function(more)
    for _, c in ipairs { conn, conn2 } do
      local res, rerr = c:result()
      err = err or (not res and errors.message(rerr)) or nil
    end
    conn2:close()
    if err then return nil, "(current schema): " .. err end
    return after(more)
  end
end

--- compare.recreate(dev, conn, base) -> true | nil, message: create the model base on the
-- dev database conn is connected to (compare.recreate_start, then its finish)
function M.recreate(dev, conn, base)
  local finish, err = M.recreate_start(dev, conn, base)
  if not finish then return nil, err end
  return finish()
end

-- Compare the dev database conn holds after the plan with want. -> true | nil, message
local function check_after(conn, want, opts, read)
  local after, ierr = inspect.inspect(conn, { schemas = opts.schemas })
  if read then read() end
  if not after then return nil, "inspecting after the plan: " .. tostring(ierr) end
  local same, diffs = model.compare(after, want)
  if not same then
    return nil, "the plan does not reach the desired schema:\n  " .. table.concat(diffs, "\n  ")
  end
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
  return done(check_after(conn, want, opts))
end

-- The same statements, in the same order?
local function same_statements(a, b)
  if #a.statements ~= #b.statements then return false end
  for i, s in ipairs(a.statements) do
    if s.sql ~= b.statements[i].sql then return false end
  end
  return true
end

-- The verification of a plan between two databases, on the part of the schema it is about
-- (dbhost.schema.subset): cut from the planner's first step and copied onto the dev database
-- while the planner finishes. -> part | nil (no part to cut, or no dev database)
local function start_part(planner, from, to, opts, dev)
  local fsub, tsub = subset.of(planner:hints(), from, to)
  if not fsub then return nil end
  if not dev then dev = devdb.open(opts.dev_url or source.DEFAULT_DEV_URL) end
  if not dev then return nil end
  local conn = connect.dev(dev)
  if not conn then dev:close() return nil end
  -- function bodies were checked where they came from; the copy need not re-check them
  conn:exec("SET check_function_bodies = off")
  local finish = M.recreate_start(dev, conn, fsub)
  if not finish then conn:close() dev:close() return nil end
  return { from = fsub, to = tsub, dev = dev, conn = conn, finish = finish }
end

local function close_part(part)
  part.conn:close()
  part.dev:close()
end

-- Finish the part's verification of plan -> true when the plan of the part is the same
-- statements and reaches the desired part; false says nothing (the part is used only to say
-- yes: the caller verifies on the whole).
local function finish_part(part, plan, opts)
  local sub_plan = diff.plan(part.from, part.to, opts.plan_opts)
  if not (sub_plan and same_statements(sub_plan, plan)) then
    part.finish()
    close_part(part)
    return false
  end
  local ok
  if plan.txmode_none then
    ok = part.finish("RESET check_function_bodies") and apply(part.conn, plan)
  else
    -- the rest of the copy and the plan, in one round trip (one implicit transaction)
    local stmts = { "RESET check_function_bodies" }
    for i, st in ipairs(plan.statements) do stmts[i + 1] = st.sql end
    ok = part.finish(table.concat(stmts, ";\n"))
  end
  -- (the dev server goes while the models are compared)
  ok = ok and check_after(part.conn, part.to, opts, function() part.conn:close() part.dev:stop_soon() end)
  close_part(part)
  return ok and true or false
end

-- Verify: apply the plan to a copy of the current state, inspect, compare with the desired
-- model. Between two databases, when the part of the schema the plan is about did not say
-- yes (finish_part), the whole current schema is copied onto a dev database.
local function verify(plan, from_info, from, to, opts, dev)
  local conn = from_info.conn
  if not conn then return verify_on_dev(plan, from, to, opts, dev) end
  if dev then dev:close() end
  local ok, err = apply(conn, plan)
  if not ok then return nil, "applying the plan to a copy of the current state: " .. err end
  return check_after(conn, to, opts)
end

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
      if relations >= M.EARLY_DEV_RELATIONS then dev = devdb.open(opts.dev_url or source.DEFAULT_DEV_URL, { nowait = true }) end
    end
  end
  local from, finfo, to, tinfo = source.load_pair(opts.from, lopts, opts.to,
    { dev_url = opts.dev_url, schemas = opts.schema }, meanwhile)
  if not from then
    if dev then dev:close() end
    -- (on failure: message, code, and which side failed)
    errors.raise_at(to == "ECONFIG" and 2 or 1, { code = to }, "%s: %s", tinfo == 1 and "--from" or "--to", finfo)
  end
  -- The garbage of reading both sides (the result rows) is left where it is until the
  -- command ends: a collection cycle that started while they were read would otherwise
  -- walk both models again while the plan is made (about a tenth of the client's work). The
  -- plan and its verification allocate about as much again as the models hold, less than
  -- the collector's pause (main.lua) lets the heap grow anyway.
  collectgarbage("stop")
  local _ <close> = setmetatable({}, { __close = function() collectgarbage("restart") end })
  local plan_opts = { concurrent_index = opts.concurrent_index and { create = true, drop = true } or nil }
  local vopts = { dev_url = opts.dev_url, schemas = opts.schema, plan_opts = plan_opts }
  local planner, perr = diff.prepare(from, to, plan_opts)
  if not planner then
    if dev then dev:close() end
    errors.failed("%s", perr)
  end
  -- between two databases, the part of the schema the plan is about is copied onto the dev
  -- database while the plan is made
  local part
  if not opts.skip_verify and not finfo.conn then
    part = start_part(planner, from, to, vopts, dev)
    if part then dev = nil end
  end
  local plan
  plan, perr = planner:finish()
  if not plan then
    if part then part.finish() close_part(part) end
    if dev then dev:close() end
    errors.failed("%s", perr)
  end
  local vok, verr = true, nil
  if not opts.skip_verify and #plan.statements > 0 then
    if not (part and finish_part(part, plan, vopts)) then
      vok, verr = verify(plan, finfo, from, to, vopts, dev)
    end
  else
    if part then part.finish() close_part(part) end
    if dev then dev:close() end
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
