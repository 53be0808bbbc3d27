--- dbhost.linter.trace: lint by execution. The earlier files are replayed on a
-- throwaway database, every table gets a few rows, then each new statement runs
-- (in its file's transaction, committed at the end of the file) and we record
-- what it did to relations that existed before the file:
--   locks    the relation locks it took (pg_locks of our backend, new ones only),
--   rewrites relations whose relfilenode changed (or that were rebuilt under a new oid),
--   scans    tables whose sequential-scan count grew (pg_stat_xact_user_tables).
--
--   trace.attach(res, { history = files, files = files, dev_url = URL, tx_mode = "file",
--                       dir = nil | the migration directory the files belong to,
--                       url = nil | a database already holding the history })
-- With o.url (from trace.copy_dev: check-migrations' replay copied its dev database
-- where the new files begin) nothing is started or replayed: the files are traced there.
-- adds res.trace = { fact, ... } (fact = { file=, line=, statement=, locks = {{relation=, mode=}},
-- held = {..}, rewrites = {names}, scans = {{relation=, count=}}, error=, skipped= }),
-- sets finding.trace for findings on a traced statement, and flags disagreements
-- (finding.disagreement, res.disagreements).
local sql = require "dbhost.sql"
local connect = require "dbhost.db.connect"
local run = require "dbhost.db.run"
local replay = require "dbhost.migrate.replay"
local devdb = require "dbhost.db.dev"
local errors = require "dbhost.errors"
local proc = require "dbhost.proc"
local fs = require "dbhost.fs"

local M = {}

local function q(conn, text)
  local res, err = conn:exec(text)
  if not res then error(err, 0) end
  return res.rows
end

--- trace.replay(conn, files [, dir]): run the earlier migration files on the dev database.
-- With the migration directory (dbhost.migrate.dir) the one replay (dbhost.migrate.replay)
-- applies its files up to the last earlier one, exactly as `dbhost apply` would; loose
-- files (dbhost lint FILE...) run as scripts (dbhost.db.run: statement by statement in
-- autocommit, so CONCURRENTLY statements replay too).
function M.replay(conn, files, dir)
  if dir then
    if #files == 0 then return end
    local ok, err = replay.run(conn, dir, { to_version = files[#files].version })
    if not ok then errors.failed("replaying for --trace: %s", err) end
    return
  end
  for _, f in ipairs(files) do
    local ok, err = run.script(conn, f.text, f.path)
    if not ok then errors.failed("replaying for --trace failed: %s", err) end
  end
end

-- A value expression per type category for seeding rows (g = 1..3).
local SEED = [[
SELECT c.oid::regclass::text AS rel, a.attname, t.typcategory, t.typtype, format_type(a.atttypid, a.atttypmod) AS ty,
       a.atttypmod
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
JOIN pg_type t ON t.oid = a.atttypid
WHERE c.relkind IN ('r', 'p') AND n.nspname NOT IN ('pg_catalog', 'information_schema')
  AND n.nspname NOT LIKE 'pg_toast%' AND n.nspname <> 'atlas_schema_revisions'
  AND NOT c.relispartition
  AND a.attidentity = '' AND a.attgenerated = ''
  AND NOT EXISTS (SELECT 1 FROM pg_attrdef d WHERE d.adrelid = c.oid AND d.adnum = a.attnum)
ORDER BY c.oid, a.attnum]]

local function seed_expr(row)
  local cat, ty = row.typcategory, row.ty
  if row.typtype == "e" then return ("(enum_range(NULL::%s))[1]"):format(ty) end
  if cat == "N" then return ("g::%s"):format(ty) end
  if cat == "S" then return ("left('r' || g, greatest(%d - 4, 1))::%s"):format(tonumber(row.atttypmod) or 0, ty) end
  if cat == "B" then return "(g % 2 = 0)" end
  if cat == "D" then return ("(timestamp '2026-01-01' + g * interval '1 day')::%s"):format(ty) end
  if ty == "uuid" then return "gen_random_uuid()" end
  if ty == "json" or ty == "jsonb" then return ("'{}'::%s"):format(ty) end
  return nil
end

--- trace.seed(conn): a few rows in every empty table (errors — checks, foreign keys — are
-- skipped). Called before each traced file, so tables the earlier files made get rows too.
function M.seed(conn)
  local cols, order = {}, {}
  for _, r in ipairs(q(conn, SEED)) do
    if not cols[r.rel] then cols[r.rel] = {} order[#order + 1] = r.rel end
    local e = seed_expr(r)
    if e then table.insert(cols[r.rel], { name = r.attname, expr = e }) end
  end
  for _ = 1, 3 do    -- parents first is unknown: a few passes let foreign keys find rows
    for _, rel in ipairs(order) do
      local names, exprs = {}, {}
      for _, c in ipairs(cols[rel]) do
        names[#names + 1] = conn:escape_identifier(c.name)
        exprs[#exprs + 1] = c.expr
      end
      local stmt
      local empty = ("WHERE NOT EXISTS (SELECT FROM %s)"):format(rel)
      if #names == 0 then
        stmt = ("INSERT INTO %s SELECT FROM generate_series(1, 3) g %s"):format(rel, empty)
      else
        stmt = ("INSERT INTO %s (%s) SELECT %s FROM generate_series(1, 3) g %s ON CONFLICT DO NOTHING")
          :format(rel, table.concat(names, ", "), table.concat(exprs, ", "), empty)
      end
      conn:exec(stmt)
    end
  end
end

local RELS = [[
SELECT c.oid::bigint AS oid, c.relname, c.relfilenode::bigint AS node, c.relkind,
       c.oid::regclass::text AS qname
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind IN ('r', 'p', 'i', 'I', 'm', 't') AND n.nspname NOT IN ('pg_catalog', 'information_schema')
  AND n.nspname NOT LIKE 'pg_toast%' AND n.nspname <> 'atlas_schema_revisions']]
local LOCKS = [[
SELECT relation::bigint AS oid, mode FROM pg_locks
WHERE pid = pg_backend_pid() AND locktype = 'relation' AND granted]]
local SCANS = [[SELECT relid::bigint AS oid, relname, seq_scan FROM pg_stat_xact_user_tables]]

local function snapshot(conn)
  local rels, byname = {}, {}
  for _, r in ipairs(q(conn, RELS)) do
    rels[r.oid] = r
    byname[r.relname] = r
  end
  local locks = {}
  for _, r in ipairs(q(conn, LOCKS)) do locks[r.oid .. " " .. r.mode] = r end
  local scans = {}
  for _, r in ipairs(q(conn, SCANS)) do scans[r.oid] = tonumber(r.seq_scan) or 0 end
  return { rels = rels, byname = byname, locks = locks, scans = scans }
end

-- Lock modes as the facts name them (pg_locks' mode without "Lock"), weakest first.
local STRENGTH = {
  AccessShare = 1, RowShare = 2, RowExclusive = 3, ShareUpdateExclusive = 4,
  Share = 5, ShareRowExclusive = 6, Exclusive = 7, AccessExclusive = 8,
}

local function sorted_locks(list)
  table.sort(list, function(a, b)
    if a.relation ~= b.relation then return a.relation < b.relation end
    if a.mode ~= b.mode then return (STRENGTH[a.mode] or 0) > (STRENGTH[b.mode] or 0) end
    return false
  end)
  return list
end

-- facts(pre, before, after) -> locks, held, rewrites, scans on relations that existed before the file
local function facts(pre, before, after)
  local locks, held = {}, {}
  for key, l in pairs(after.locks) do
    local rel = pre.rels[l.oid]
    if rel then
      local item = { relation = rel.relname, mode = (l.mode:gsub("Lock$", "")) }
      held[#held + 1] = item
      if not before.locks[key] then locks[#locks + 1] = item end
    end
  end
  local rewrites = {}
  for oid, r in pairs(before.rels) do
    if pre.rels[oid] then
      local now = after.rels[oid]
      local again = not now and after.byname[r.relname]
      if (now and now.node ~= r.node) or (again and again.oid ~= oid) then rewrites[#rewrites + 1] = r.relname end
    end
  end
  table.sort(rewrites)
  local scans = {}
  for oid, n in pairs(after.scans) do
    local d = n - (before.scans[oid] or 0)
    if d > 0 and pre.rels[oid] then scans[#scans + 1] = { relation = pre.rels[oid].relname, count = d } end
  end
  table.sort(scans, function(a, b) return a.relation < b.relation end)
  return sorted_locks(locks), sorted_locks(held), rewrites, scans
end

-- Statements that cannot run inside a transaction block.
local function needs_autocommit(text)
  local t = text:upper()
  return t:find("CONCURRENTLY", 1, true) or t:match("^%s*VACUUM") or t:match("^%s*ALTER%s+SYSTEM")
end

-- The child that runs a statement which cannot run inside a transaction block.
local CHILD = [[
local connect = require "dbhost.db.connect"
local errors = require "dbhost.errors"
local fs = require "dbhost.fs"
local dir = assert(os.getenv("DBHOST_TRACE_DIR"))
local conn = assert(connect.open(assert(fs.read(dir .. "/url"))))
assert(conn:exec("SET application_name = " .. conn:escape_literal(os.getenv("DBHOST_TRACE_TAG"))))
local ok, err = conn:exec(assert(fs.read(dir .. "/sql")))
if not ok then
  io.stderr:write(errors.message(err))
  os.exit(1)
end
]]

local function self_exe()
  return fs.realpath("/proc/self/exe") or arg[0]
end

-- observe_outside_tx(conn, url, pre, text) -> locks, waiting | nil, why, error
-- Locks of a statement that runs outside a transaction block (CONCURRENTLY, VACUUM)
-- cannot be read afterwards. A second session holds ROW EXCLUSIVE on every table that
-- existed before the file, which such statements wait for (they wait out writers); a
-- child process runs the statement, and we read its granted locks while it waits.
-- Then the blocker lets go and the statement completes.
local function observe_outside_tx(conn, url, pre, text)
  local blocker = connect.open(url)
  if not blocker then return nil, "no second session for the observation" end
  local tmp = assert(fs.mkdtemp("dbhost-trace-"))
  local function cleanup()
    blocker:close()
    fs.rmtree(tmp)
  end
  q(blocker, "BEGIN")
  for _, r in pairs(pre.rels) do
    if r.relkind == "r" or r.relkind == "p" then
      blocker:exec("LOCK TABLE ONLY " .. r.qname .. " IN ROW EXCLUSIVE MODE")
    end
  end
  assert(fs.write(tmp .. "/url", url))
  assert(fs.write(tmp .. "/sql", text))
  assert(fs.write(tmp .. "/child.lua", CHILD))
  local tag = ("dbhost-trace-%d-%d"):format(proc.pid(), math.random(1, 1e9))
  local child, serr = proc.spawn {
    argv = { self_exe(), "lua", tmp .. "/child.lua" }, stderr = tmp .. "/stderr",
    env_add = { DBHOST_TRACE_DIR = tmp, DBHOST_TRACE_TAG = tag }, death_signal = 9,
  }
  if not child then
    cleanup()
    return nil, "cannot run the observed statement: " .. tostring(serr)
  end
  local locks, waiting, seen = {}, {}, false
  local deadline = proc.now() + 10
  while proc.now() < deadline and child:running() do
    local res = conn:exec([[SELECT l.relation::bigint AS oid, l.mode, l.granted
      FROM pg_stat_activity a JOIN pg_locks l ON l.pid = a.pid
      WHERE a.application_name = $1 AND a.wait_event_type = 'Lock' AND l.locktype = 'relation']], tag)
    if res and #res.rows > 0 then
      for _, l in ipairs(res.rows) do
        local rel = pre.rels[l.oid]
        if rel then
          local item = { relation = rel.relname, mode = (l.mode:gsub("Lock$", "")) }
          if l.granted == "t" then locks[#locks + 1] = item else waiting[#waiting + 1] = item end
        end
      end
      seen = true
      break
    end
    proc.sleep(0.005)
  end
  blocker:exec("ROLLBACK")
  local status = child:wait(60)
  local err = fs.read(tmp .. "/stderr")
  cleanup()
  if status ~= 0 then return nil, nil, (err and err ~= "") and err or "the statement failed" end
  if not seen then return nil, "it did not wait for other sessions, so its locks were not seen" end
  return sorted_locks(locks), sorted_locks(waiting)
end

-- trace_file(conn, url, file, tx_mode) -> list of facts
local function trace_file(conn, url, file, tx_mode)
  local out = {}
  local stmts = sql.split(file.text, file.path)
  if not stmts then return out end
  local dirs = sql.directives(file.text, file.path) or {}
  local txmode = dirs.txmode or tx_mode
  local pre = snapshot(conn)
  local open = false
  local function begin()
    if not open then q(conn, "BEGIN") open = true end
  end
  local failed = false
  for _, st in ipairs(stmts) do
    local fact = { file = file.path, line = st.line, statement = st.text }
    out[#out + 1] = fact
    local upper = st.text:upper()
    if failed then
      fact.skipped = "an earlier statement failed"
    elseif upper:match("^%s*BEGIN") or upper:match("^%s*START%s+TRANSACTION") or upper:match("^%s*COMMIT")
        or upper:match("^%s*END") or upper:match("^%s*ROLLBACK") then
      fact.skipped = "transaction control (the trace manages transactions)"
    elseif needs_autocommit(st.text) then
      if open then q(conn, "COMMIT") open = false end
      local before = snapshot(conn)
      local locks, second, err = observe_outside_tx(conn, url, pre, st.text)
      if err then
        fact.error, failed = err, true
      else
        local after = snapshot(conn)
        local _, _, rewrites = facts(pre, before, after)
        fact.rewrites, fact.scans = rewrites, {}
        if locks then
          fact.locks, fact.held, fact.waiting = locks, locks, second
          fact.observed = "read from another session while the statement waited for concurrent transactions"
        else
          fact.locks = {}
          fact.skipped = "runs outside a transaction; " .. second
        end
      end
    else
      if txmode == "none" and open then q(conn, "COMMIT") open = false end
      begin()
      local before = snapshot(conn)
      local ok, err = conn:exec(st.text)
      if not ok then
        fact.error, failed = errors.message(err), true
        q(conn, "ROLLBACK")
        open = false
      else
        local after = snapshot(conn)
        fact.locks, fact.held, fact.rewrites, fact.scans = facts(pre, before, after)
        if txmode == "none" then q(conn, "COMMIT") open = false end
      end
    end
  end
  if open then q(conn, "COMMIT") end
  return out
end

local function has_lock(fact, rel, mode)
  for _, l in ipairs(fact.held or fact.locks or {}) do
    if l.relation == rel and (mode == nil or l.mode == mode) then return true end
  end
  return false
end

local function contains(list, x)
  for _, v in ipairs(list or {}) do
    if v == x or (type(v) == "table" and v.relation == x) then return true end
  end
  return false
end

-- Where a static rule claims something the trace can check.
local CLAIMS = {
  PG301 = function(f, t) if #(f.rewrites or {}) == 0 then return "no table or index was rewritten" end end,
  PG302 = function(f, t) if #(f.rewrites or {}) == 0 then return "no table was rewritten" end end,
  PG303 = function(f, t) if not contains(f.scans, t) then return ("%s was not scanned"):format(t or "the table") end end,
  PG305 = function(f, t) if not contains(f.scans, t) then return ("%s was not scanned"):format(t or "the table") end end,
  PG101 = function(f, t) if not has_lock(f, t, "Share") then return ("no SHARE lock on %s"):format(t or "the table") end end,
  DH115 = function(f, t) if not contains(f.scans, t) then return ("%s was not scanned"):format(t or "the table") end end,
}

local function quoted_table(msg)
  -- messages name the table as the last-but-one or last quoted word: take any quoted word
  local names = {}
  for n in (msg or ""):gmatch('"([^"]+)"') do names[#names + 1] = n end
  return names
end

--- trace.copy_dev(dev [, empty]) -> url | nil, message: a database on dev's server (dbhost.db.dev,
-- a throwaway server of this run) in the state dev's database is in now: a copy made with
-- CREATE DATABASE ... TEMPLATE while no session is open on it, living as long as the server.
-- The state to trace new files on, taken from a replay paused before them (dbhost.schema.
-- source's opts.pause). With empty = true (no file ran yet) the server's own `postgres`
-- database, untouched since initdb, is that state already and no copy is made.
function M.copy_dev(dev, empty)
  local srv_url = dev.server and dev.server.url
  local db = type(dev.url) == "string" and dev.url:match("^postgresql:///([^?]*)")
  if not srv_url or not db or db == "" then return nil, "the dev database is not on a throwaway server of this run" end
  local function on(name) return (srv_url:gsub("^(postgresql:///)[^?]*", "%1" .. name)) end
  if empty and db ~= "postgres" then return on("postgres") end
  local admin, err = connect.open(on(db == "template1" and "postgres" or "template1"))
  if not admin then return nil, err end
  local name = "dbhost_trace"
  local version = admin:exec("SHOW server_version_num")
  -- FILE_COPY (PostgreSQL 15+) copies files instead of logging every page: the faster way
  -- on a server without fsync, the more so the bigger the schema
  local strategy = version and tonumber(version.rows[1].server_version_num) >= 150000 and " STRATEGY FILE_COPY" or ""
  local ok, cerr = admin:exec(("CREATE DATABASE %s TEMPLATE %s%s"):format(admin:escape_identifier(name),
    admin:escape_identifier(db), strategy))
  admin:close()
  if not ok then return nil, errors.message(cerr) end
  return on(name)
end

--- trace.attach(res, o)
function M.attach(res, o)
  local dev, url
  if o.url then
    url = o.url
  else
    local err
    dev, err = devdb.open(o.dev_url or "local://postgres")
    if not dev then errors.failed("--trace needs a throwaway database: %s", tostring(err)) end
    url = dev.url
  end
  local conn, cerr = connect.open(url)
  if not conn then
    if dev then dev:close() end
    errors.failed("--trace: cannot connect to the throwaway database: %s", cerr)
  end
  local ok, perr = pcall(function()
    if not o.url then M.replay(conn, o.history or {}, o.dir) end
    res.trace = {}
    for _, f in ipairs(o.files) do
      M.seed(conn)
      for _, fact in ipairs(trace_file(conn, url, f, o.tx_mode or "file")) do res.trace[#res.trace + 1] = fact end
    end
  end)
  conn:close()
  if dev then dev:close() end
  if not ok then error(perr, 0) end
  -- facts beside the findings, and where they disagree
  local byline = {}
  for _, fact in ipairs(res.trace) do byline[fact.file .. ":" .. fact.line] = fact end
  res.disagreements = res.disagreements or {}
  local flagged = {}
  for _, f in ipairs(res.findings) do
    local fact = byline[f.file .. ":" .. f.line]
    if fact and f.code ~= "syntax-error" then
      f.trace = fact
      flagged[fact] = flagged[fact] or {}
      flagged[fact][f.code] = true
      local claim = CLAIMS[f.code]
      if claim and not fact.error and not fact.skipped then
        local names = quoted_table(f.message)
        local tname = f.code == "PG101" and names[2] or names[#names]
        if f.code == "PG303" or f.code == "PG305" then tname = names[2] end
        if f.code == "DH115" then tname = names[3] end
        f.disagreement = claim(fact, tname)
      end
    end
  end
  for _, fact in ipairs(res.trace) do
    local codes = flagged[fact] or {}
    if #(fact.rewrites or {}) > 0 and not (codes.PG301 or codes.PG302 or codes.DH113) then
      res.disagreements[#res.disagreements + 1] = {
        file = fact.file, line = fact.line, column = 1,
        message = ("rewrote %s, which no static rule reported"):format(table.concat(fact.rewrites, ", ")),
      }
    end
  end
end

return M
