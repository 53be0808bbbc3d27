-- schema_roundtrip_pg_spec.lua: the schema engine (dbhost.schema.*) against the case corpus
-- in tests/schema/cases (see tests/schema/README.md for how a case is written).
--
-- For every case: two fresh databases A and B (copies of one empty template made for this
-- run), "before" loaded into A and "after" into B statement by statement, both inspected,
-- A -> B planned, the plan applied to A, and then
--   * engine: inspect(A') equals inspect(B) by model.compare, a second plan A' -> B is
--     empty, and the plan agrees with the case's "-- expect:" headers;
--   * pg_dump: an independent check that does not trust the inspector: the normalised
--     `pg_dump --schema-only --no-owner` of A' and B are the same (skipped, with its
--     reason, for a case headed "-- pg_dump: differs because ...").
-- Each is its own `it`, so failures are itemised per case and per check.
--
-- Needs DBHOST_TEST_DATABASE_URL (the ctest fixture server). Names of databases and roles
-- carry a per-run id, so two runs against one server do not collide.
local helper = require "helper"
local pg = require "dbhost.pg"
local sql = require "dbhost.sql"
local fs = require "dbhost.fs"
local proc = require "dbhost.proc"

local URL = assert(os.getenv("DBHOST_TEST_DATABASE_URL"),
  "DBHOST_TEST_DATABASE_URL is not set: run this spec through ctest")
local CASES_DIR = helper.source_dir .. "/tests/schema/cases"
local SEPARATOR = "-- ==== after ===="

-- The engine under test. A missing module makes every case fail (never skip).
local engine, engine_err = {}, nil
for _, name in ipairs { "inspect", "diff", "model", "subset", "render" } do
  local ok, mod = pcall(require, "dbhost.schema." .. name)
  if ok then
    engine[name] = mod
  else
    engine_err = (engine_err and engine_err .. "\n" or "") .. tostring(mod)
  end
end

-- ------------------------------------------------------------------ reading cases

-- Split text into lines (without their terminators).
local function lines_of(text)
  local out = {}
  for line in (text .. "\n"):gmatch("(.-)\r?\n") do out[#out + 1] = line end
  return out
end

-- Read one case file: { name, path, before, after, after_line, expect = {set},
-- pg_dump_skip = reason|nil, roles = {names} }; raises on a malformed file.
local function read_case(name)
  local path = CASES_DIR .. "/" .. name
  local text = assert(fs.read(path))
  local c = { name = name:gsub("%.sql$", ""), path = "tests/schema/cases/" .. name,
    expect = {}, roles = {} }
  local before, after, sep_line = {}, {}, nil
  for i, line in ipairs(lines_of(text)) do
    if line:match("^%-%- ==== after ====%s*$") then
      assert(not sep_line, c.path .. ":" .. i .. ": a second separator line")
      sep_line = i
    elseif sep_line then
      after[#after + 1] = line
    else
      before[#before + 1] = line
    end
    local e = line:match("^%-%-%s*expect:%s*(.-)%s*$")
    if e then c.expect[e] = true end
    local reason = line:match("^%-%-%s*pg_dump:%s*differs because%s+(%S.-)%s*$")
    if reason then c.pg_dump_skip = reason end
    local policy = line:match("^%-%-%s*diff:%s*(.-)%s*$")
    if policy == "concurrent-index" then
      c.plan_opts = { concurrent_index = { create = true, drop = true } }
    elseif policy then
      error(c.path .. ":" .. i .. ": unknown diff policy " .. policy)
    end
    local roles = line:match("^%-%-%s*roles:%s*(.-)%s*$")
    if roles then
      for r in roles:gmatch("[%w_]+") do c.roles[#c.roles + 1] = r end
    end
  end
  assert(sep_line, c.path .. ": no '" .. SEPARATOR .. "' line")
  c.before = table.concat(before, "\n")
  c.after = table.concat(after, "\n")
  c.after_line = sep_line
  return c
end

-- DBHOST_SCHEMA_CASES (a Lua pattern) runs only the cases whose file name matches it,
-- for working on a few cases; the full corpus runs without it.
local ONLY = os.getenv("DBHOST_SCHEMA_CASES")

local function list_cases()
  local names = assert(fs.list(CASES_DIR))
  local out = {}
  for _, n in ipairs(names) do
    if n:match("^%d%d%d_[%w_]+%.sql$") and (not ONLY or n:match(ONLY)) then out[#out + 1] = n end
  end
  table.sort(out)
  return out
end

-- ------------------------------------------------------------------ databases

local RUN_ID = ("%d_%d"):format(proc.pid(), math.floor(proc.now() * 1000) % 100000000)
local PREFIX = "dbh_rt_" .. RUN_ID

-- The URL of database db on the fixture server (URL form, as ctest gives it).
local function url_of(db)
  local u, n = URL:gsub("^(postgres[a-z]*://[^/?]*/)[^?]*", "%1" .. db)
  assert(n == 1, "cannot replace the database name in " .. require("dbhost.db.url").redact(URL))
  return u
end

local admin, template_db, tmp_dir

local function admin_exec(q)
  local ok, err = admin:exec(q)
  if not ok then error(tostring(err), 2) end
  return ok
end

local function ident(s) return admin:escape_identifier(s) end

-- Time spent per phase, reported at the end of the run.
local timing = {}
local function timed(phase, f, ...)
  local t0 = proc.now()
  local r = table.pack(f(...))
  timing[phase] = (timing[phase] or 0) + proc.now() - t0
  return table.unpack(r, 1, r.n)
end

-- A PostgreSQL client program (psql, pg_dump) of the newest installed version.
local bin_cache = {}
local function pg_program(name)
  if bin_cache[name] ~= nil then return bin_cache[name] or nil end
  local path
  local ok, server = pcall(require, "dbhost.db.server")
  if ok then
    local bindir = server.find_binaries()
    if bindir and fs.stat(bindir .. "/" .. name) then path = bindir .. "/" .. name end
  end
  path = path or proc.which(name, os.getenv("PATH"))
  bin_cache[name] = path or false
  return path
end

-- Statements that cannot share a transaction (CREATE/DROP DATABASE) run in the background,
-- one psql each: the server serves concurrent FILE_COPY requests with a shared checkpoint,
-- many times faster than one after another, and the cases run meanwhile. Without psql they
-- run one by one, at once. launch(statements) -> batch; finish(batch) -> nil | error text.
local batch_serial = 0
local function launch(statements)
  local psql = pg_program("psql")
  local batch = { procs = {}, errors = {} }
  for _, q in ipairs(statements) do
    if psql then
      batch_serial = batch_serial + 1
      local errfile = ("%s/psql-%d.err"):format(tmp_dir, batch_serial)
      local p, err = proc.spawn { argv = { psql, "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", URL, "-c", q },
        stdout = "null", stderr = errfile }
      if not p then error("cannot run psql: " .. tostring(err)) end
      batch.procs[#batch.procs + 1] = { p = p, q = q, errfile = errfile }
    else
      local ok, err = admin:exec(q)
      if not ok then batch.errors[#batch.errors + 1] = q .. ": " .. tostring(err) end
    end
  end
  return batch
end

local function finish(batch)
  for _, e in ipairs(batch.procs) do
    local status = e.p:wait(120)
    e.p:close()
    if status ~= 0 then
      batch.errors[#batch.errors + 1] = e.q .. ": " .. (fs.read(e.errfile) or ("psql status " .. tostring(status)))
    end
    fs.remove(e.errfile)
  end
  batch.procs = {}
  if #batch.errors > 0 then return table.concat(batch.errors, "\n") end
  return nil
end

-- The databases of CHUNK cases are made together, one chunk ahead of the running case;
-- finished cases' databases are dropped with the next chunk, their roles after that.
local CHUNK = 8
local chunks = {}        -- chunk number -> batch making its databases
local to_drop = {}       -- databases of finished cases
local roles_to_drop = {} -- roles of finished cases (dropped after their databases)
local drop_batch         -- the batch dropping them, with .roles

local function drop_finished_roles(roles)
  for _, r in ipairs(roles or {}) do admin:exec("DROP ROLE IF EXISTS " .. ident(r)) end
end

-- Start dropping the finished cases' databases (after the previous drop is done).
local function launch_drops()
  if drop_batch then
    finish(drop_batch)
    drop_finished_roles(drop_batch.roles)
    drop_batch = nil
  end
  local qs = {}
  for _, name in ipairs(to_drop) do
    qs[#qs + 1] = ("DROP DATABASE IF EXISTS %s WITH (FORCE)"):format(ident(name))
  end
  drop_batch = launch(qs)
  drop_batch.roles = roles_to_drop
  to_drop, roles_to_drop = {}, {}
end

local made = {}          -- databases asked for (so only those are dropped)

local function launch_chunk(k, names_of)
  local qs = {}
  for _, name in ipairs(names_of(k)) do
    made[name] = true
    qs[#qs + 1] = ("CREATE DATABASE %s TEMPLATE %s STRATEGY FILE_COPY"):format(ident(name), ident(template_db))
  end
  chunks[k] = launch(qs)
end

-- Wait until the databases of chunk k exist, and start making chunk k + 1.
local function ensure_chunk(k, last_chunk, names_of)
  if not chunks[k] then launch_chunk(k, names_of) end
  local err = finish(chunks[k])
  if err then error("creating the case databases failed:\n" .. err, 0) end
  if k + 1 <= last_chunk and not chunks[k + 1] then
    launch_drops()
    launch_chunk(k + 1, names_of)
  end
end

-- At the end: drop whatever is left.
local function drop_all()
  launch_drops()
  finish(drop_batch)
  drop_finished_roles(drop_batch.roles)
  drop_batch = nil
end

-- Replace each case role name (a whole word) by its per-run unique name.
local function substitute_roles(text, roles)
  for from, to in pairs(roles) do
    text = text:gsub("%f[%w_]" .. from .. "%f[^%w_]", to)
  end
  return text
end

-- True when text holds nothing but comments and white space (the splitter returns trailing
-- comments as a statement of their own).
local function is_only_comments(text)
  local rest = text:gsub("/%*.-%*/", ""):gsub("%-%-[^\n]*", "")
  return rest:match("^%s*$") ~= nil
end

-- Run the statements of one section in conn, each on its own (psql semantics).
local function load_section(conn, text, path, line0)
  local stmts, err = sql.split(text, path)
  if not stmts then error(("%s: %s (line numbers after the separator count from %d)"):format(path, err, line0), 0) end
  for _, st in ipairs(stmts) do
    local ok, e = true, nil
    if not is_only_comments(st.text) then ok, e = conn:exec(st.text) end
    if not ok then
      error(("%s:%d: loading the case failed (a corpus bug): %s"):format(path, line0 + st.line, tostring(e)), 0)
    end
  end
end

-- The statements of a section without comments or layout around them: a no-op case has
-- the same statements before and after.
local function statements_of(text)
  local stmts = sql.split(text) or {}
  local out = {}
  for _, st in ipairs(stmts) do
    if not is_only_comments(st.text) then out[#out + 1] = st.text end
  end
  return table.concat(out, "\n")
end

-- ------------------------------------------------------------------ plans

local function plan_text(plan)
  local out = {}
  for i, st in ipairs(plan.statements) do
    out[#out + 1] = ("  %d. %s"):format(i, st.sql)
  end
  return table.concat(out, "\n")
end

local function plan_is_txmode_none(plan)
  if plan.txmode_none then return true end
  for _, st in ipairs(plan.statements) do
    if st.txmode == "none" then return true end
  end
  return false
end

-- Apply a plan to conn: one transaction for the whole plan, unless it asks for txmode
-- none, then each statement on its own. Returns true | nil, message.
local function apply_plan(conn, plan)
  local none = plan_is_txmode_none(plan)
  if not none then assert(conn:exec("BEGIN")) end
  for i, st in ipairs(plan.statements) do
    local ok, err = conn:exec(st.sql)
    if not ok then
      if not none then conn:exec("ROLLBACK") end
      return nil, ("planned statement %d of %d failed: %s\n    %s\nthe plan:\n%s"):format(
        i, #plan.statements, tostring(err), st.sql, plan_text(plan))
    end
  end
  if not none then
    local ok, err = conn:exec("COMMIT")
    if not ok then return nil, "COMMIT failed: " .. tostring(err) .. "\nthe plan:\n" .. plan_text(plan) end
  end
  return true
end

local function inspect_db(conn, what)
  local m, err = engine.inspect.inspect(conn)
  if not m then error(("inspecting %s failed: %s"):format(what, tostring(err)), 0) end
  return m
end

local function make_plan(from, to, what, opts)
  local plan, err = engine.diff.plan(from, to, opts)
  if not plan then error(("planning %s failed: %s"):format(what, tostring(err)), 0) end
  assert(type(plan.statements) == "table", "plan.statements is not a table")
  return plan
end

-- ------------------------------------------------------------------ pg_dump

-- Start `pg_dump --schema-only --no-owner` of database db in the background; tag names
-- its output files. wait_dump(handle) -> the dump's text.
local function start_dump(db, tag)
  local pg_dump = assert(pg_program("pg_dump"), "pg_dump was not found")
  local out, errf = ("%s/dump-%s.sql"):format(tmp_dir, tag), ("%s/dump-%s.err"):format(tmp_dir, tag)
  fs.remove(out)
  fs.remove(errf)
  local p = assert(proc.spawn { argv = { pg_dump, "--schema-only", "--no-owner", "--dbname", url_of(db) },
    stdout = out, stderr = errf })
  return { p = p, out = out, errf = errf }
end

local function wait_dump(h)
  local status = h.p:wait(60)
  h.p:close()
  local text, err = fs.read(h.out), fs.read(h.errf)
  fs.remove(h.out)
  fs.remove(h.errf)
  assert(status == 0, "pg_dump failed: " .. tostring(err))
  return text
end

-- Normalise a schema dump: drop comments, SET lines, \restrict lines and blank lines; sort
-- the lines inside CREATE TABLE bodies (ALTER cannot change the physical column order),
-- without their trailing commas.
local function normalise_dump(text)
  local out, body = {}, nil
  for _, line in ipairs(lines_of(text)) do
    if body then
      if line:match("^%)") then
        table.sort(body)
        for _, b in ipairs(body) do out[#out + 1] = b end
        out[#out + 1] = line
        body = nil
      else
        body[#body + 1] = (line:gsub(",%s*$", ""))
      end
    elseif line == "" or line:match("^%-%-") or line:match("^SET ") or line:match("^\\u?n?restrict ")
        or line:match("^SELECT pg_catalog%.set_config%('search_path'") then
      -- noise
    else
      out[#out + 1] = line
      if line:match("^CREATE .*TABLE .*%($") then body = {} end
    end
  end
  return out
end

-- A short line diff of a and b (lists of lines): "-" only in a, "+" only in b.
local function line_diff(a, b, limit)
  local n, m = #a, #b
  local lcs = {}
  for i = n + 1, 1, -1 do
    lcs[i] = {}
    for j = m + 1, 1, -1 do
      if i > n or j > m then
        lcs[i][j] = 0
      elseif a[i] == b[j] then
        lcs[i][j] = lcs[i + 1][j + 1] + 1
      else
        lcs[i][j] = math.max(lcs[i + 1][j], lcs[i][j + 1])
      end
    end
  end
  local out, i, j = {}, 1, 1
  while (i <= n or j <= m) and #out < limit do
    if i <= n and j <= m and a[i] == b[j] then
      i, j = i + 1, j + 1
    elseif j <= m and (i > n or lcs[i][j + 1] >= lcs[i + 1][j]) then
      out[#out + 1] = "+ " .. b[j]
      j = j + 1
    else
      out[#out + 1] = "- " .. a[i]
      i = i + 1
    end
  end
  return out
end

-- ------------------------------------------------------------------ the cases

local case_names = list_cases()
local started = proc.now()

local function db_names(idx)
  return ("%s_%d_a"):format(PREFIX, idx), ("%s_%d_b"):format(PREFIX, idx), ("%s_%d_c"):format(PREFIX, idx)
end

-- The databases of chunk k (cases k*CHUNK+1 .. (k+1)*CHUNK).
local function chunk_names(k)
  local names = {}
  for idx = k * CHUNK + 1, math.min((k + 1) * CHUNK, #case_names) do
    local a, b, cdb = db_names(idx)
    names[#names + 1] = a
    names[#names + 1] = b
    names[#names + 1] = cdb
  end
  return names
end
local last_chunk = (#case_names - 1) // CHUNK

describe("schema round trip", function()
  setup(function()
    admin = assert(pg.connect(URL, { timeout = 30 }))
    tmp_dir = assert(fs.mkdtemp("dbhost-schema-rt-"))
    template_db = PREFIX .. "_tpl"
    admin_exec(("CREATE DATABASE %s TEMPLATE template0"):format(ident(template_db)))
  end)

  teardown(function()
    if admin then
      for k in pairs(chunks) do finish(chunks[k]) end
      timed("wait for databases", drop_all)
      admin:exec(("DROP DATABASE IF EXISTS %s WITH (FORCE)"):format(ident(template_db)))
      admin:close()
      admin = nil
    end
    if tmp_dir then fs.rmtree(tmp_dir) end
    local parts = {}
    for phase, t in pairs(timing) do parts[#parts + 1] = ("%s %.1f s"):format(phase, t) end
    table.sort(parts)
    io.stderr:write(("schema round trip: %d cases in %.1f s (%s)\n"):format(
      #case_names, proc.now() - started, table.concat(parts, ", ")))
  end)

  it("has a corpus of at least 90 cases", function()
    assert.is_true(ONLY ~= nil or #case_names >= 90, ("only %d cases in %s"):format(#case_names, CASES_DIR))
  end)

  for idx, file in ipairs(case_names) do
    local c = read_case(file)
    describe(c.name, function()
      local st = {}
      local db_a, db_b, db_c = db_names(idx)
      local roles = {}
      for _, r in ipairs(c.roles) do roles[r] = ("%s_%d_%s"):format(PREFIX, idx, r) end

      teardown(function()
        if st.a then st.a:close() end
        if st.b then st.b:close() end
        if st.dump_b then pcall(wait_dump, st.dump_b) end
        if st.c then st.c:close() end
        if made[db_a] then
          to_drop[#to_drop + 1] = db_a
          to_drop[#to_drop + 1] = db_b
          to_drop[#to_drop + 1] = db_c
        end
        for _, real in pairs(roles) do roles_to_drop[#roles_to_drop + 1] = real end
      end)

      it("engine", function()
        assert(not engine_err, "the schema engine is not available:\n" .. tostring(engine_err))
        timed("wait for databases", ensure_chunk, (idx - 1) // CHUNK, last_chunk, chunk_names)
        for _, real in pairs(roles) do admin_exec("CREATE ROLE " .. ident(real) .. " NOLOGIN") end
        st.a = assert(pg.connect(url_of(db_a)))
        st.b = assert(pg.connect(url_of(db_b)))
        timed("load", load_section, st.a, substitute_roles(c.before, roles), c.path, 0)
        timed("load", load_section, st.b, substitute_roles(c.after, roles), c.path, c.after_line)
        if not c.pg_dump_skip then st.dump_b = start_dump(db_b, "b") end

        local ma = timed("inspect", inspect_db, st.a, "A (before)")
        local mb = timed("inspect", inspect_db, st.b, "B (after)")
        local plan = timed("plan", make_plan, ma, mb, "A -> B", c.plan_opts)
        if c.expect["no changes"] or statements_of(c.before) == statements_of(c.after) then
          assert(#plan.statements == 0,
            "a no-op case (after == before) planned statements:\n" .. plan_text(plan))
        else
          assert(#plan.statements > 0, "the plan is empty, but the case changes the schema")
        end
        st.ma, st.mb, st.plan = ma, mb, plan
        local ok, err = timed("apply", apply_plan, st.a, plan)
        assert(ok, err)
        st.applied = true

        -- the rendered migration file holds every planned statement
        local rendered = engine.diff.render(plan)
        assert(type(rendered) == "string", "diff.render did not return a string")
        for i, s in ipairs(plan.statements) do
          assert(rendered:find(s.sql, 1, true), ("statement %d is missing from diff.render's text: %s"):format(i, s.sql))
        end

        local ma2 = timed("inspect", inspect_db, st.a, "A' (after applying)")
        local same, diffs = engine.model.compare(ma2, mb)
        if same ~= true then
          error(("inspect(A') differs from inspect(B):\n  %s\nthe plan:\n%s"):format(
            table.concat(diffs or { "(no differences listed)" }, "\n  "), plan_text(plan)), 0)
        end
        local plan2 = timed("plan", make_plan, ma2, mb, "A' -> B", c.plan_opts)
        assert(#plan2.statements == 0, ("a second plan A' -> B is not empty:\n%s\nthe first plan:\n%s"):format(
          plan_text(plan2), plan_text(plan)))

        -- the "-- expect:" headers
        local destructive, hint = false, false
        for _, s in ipairs(plan.statements) do
          destructive = destructive or s.destructive == true
          hint = hint or (s.rename_hint ~= nil and s.rename_hint ~= false)
        end
        if c.expect.destructive then
          assert(destructive, "expected a destructive statement in the plan:\n" .. plan_text(plan))
        else
          assert(not destructive, "the plan is marked destructive but the case does not expect it:\n" .. plan_text(plan))
        end
        if c.expect["txmode none"] then
          assert(plan_is_txmode_none(plan), "expected the plan to need txmode none:\n" .. plan_text(plan))
        else
          assert(not plan_is_txmode_none(plan), "the plan asks for txmode none but the case does not expect it:\n" .. plan_text(plan))
        end
        if c.expect["rename-hint"] then
          assert(hint, "expected a rename hint in the plan:\n" .. plan_text(plan))
        end
      end)

      -- what `schema diff` between two databases verifies first: the part of the schema the
      -- plan is about (dbhost.schema.subset, cut here even when it is most of the schema)
      -- plans the same statements, and the plan applied to the part alone reaches the
      -- desired part. (When either fails, the command verifies on the whole schema.)
      it("verification part", function()
        assert(st.plan, "the engine check made no plan")
        if #st.plan.statements == 0 then return end
        local fpart, tpart = engine.subset.of(st.plan, st.ma, st.mb, { always = true })
        assert(fpart, "no part was cut from a plan with statements")
        local sub = timed("part", make_plan, fpart, tpart, "the part A -> B", c.plan_opts)
        assert(plan_text(sub) == plan_text(st.plan), ("the part plans other statements:\n%s\nthe whole plan:\n%s"):format(
          plan_text(sub), plan_text(st.plan)))
        local text = assert(engine.render.sql(fpart))
        st.c = assert(pg.connect(url_of(db_c)))
        assert(st.c:exec("SET check_function_bodies = off"))
        timed("part", load_section, st.c, text, c.path .. " (the current part)", 0)
        assert(st.c:exec("RESET check_function_bodies"))
        local ok, err = timed("part", apply_plan, st.c, st.plan)
        assert(ok, "applying the plan to the part: " .. tostring(err) .. "\nthe part:\n" .. text)
        local after = timed("part", inspect_db, st.c, "the part after the plan")
        local same, diffs = engine.model.compare(after, tpart)
        assert(same == true, ("the part after the plan differs from the desired part:\n  %s\nthe part:\n%s"):format(
          table.concat(diffs or {}, "\n  "), text))
      end)

      it("pg_dump", function()
        if c.pg_dump_skip then
          pending("pg_dump differs because " .. c.pg_dump_skip)
          return
        end
        assert(st.applied, "the engine check did not apply a plan to A, nothing to compare")
        local dump_a = start_dump(db_a, "a")
        local text_a = timed("pg_dump", wait_dump, dump_a)
        local text_b = timed("pg_dump", wait_dump, st.dump_b)
        st.dump_b = nil
        local d = line_diff(normalise_dump(text_a), normalise_dump(text_b), 40)
        if #d > 0 then
          error("pg_dump of A' (after the plan) and B differ (- only in A', + only in B):\n  "
            .. table.concat(d, "\n  "), 0)
        end
      end)
    end)
  end
end)
