--- dbhost.migrate.executor: apply pending migration files the way Atlas does, safely.
--
--   local ex = executor.new{ conn = conn, dir = dir, schema = "atlas_schema_revisions",
--                            tx_mode = "file", log = function(event) ... end }
--   local plan = ex:plan{ baseline = V, allow_dirty = bool, to_version = V, amount = N,
--                         exec_order = "linear" }
--   local result = ex:execute(plan, { dry_run = bool })
--
-- Guarantees:
--  * one applier at a time: a session advisory lock with Atlas's key (FNV-1 32 of
--    "atlas_migrate_execute" = 2686470616), so dbhost and Atlas exclude each other;
--  * tx mode "file" (default): each file and its revision row commit together;
--    "all": everything in one transaction; "none" (or the file directive
--    `-- atlas:txmode none`): statements autocommit and the revision row records
--    progress after each one, so a fixed file resumes after its last applied statement;
--  * after a failure in "file" or "all" mode everything of the failed transaction is
--    rolled back, revision rows included (as Atlas): the file runs again from its
--    first statement next time;
--  * a resumed file must still have the same applied statements (partial hashes);
--    `total` is refreshed on resume (Atlas bug #2455 is not copied).
local revisions = require "dbhost.migrate.revisions"
local proc = require "dbhost.proc"
local hash = require "dbhost.hash"
local errors = require "dbhost.errors"

local M = {}

M.LOCK_KEY = 2686470616 -- FNV-1 32-bit of "atlas_migrate_execute"

local Executor = {}
Executor.__index = Executor

--- executor.new(opts) -> executor
function M.new(opts)
  local self = setmetatable({
    conn = assert(opts.conn), dir = assert(opts.dir),
    tx_mode = opts.tx_mode or "file",
    log = opts.log or function() end,
    stmt_lock_timeout = opts.stmt_lock_timeout or "5s",
    stmt_timeout = opts.stmt_timeout or "0",
    -- dbhost's own writes to the revisions table wait this long for locks (not the
    -- migration's lock_timeout), and are tried this many times
    progress_lock_timeout = opts.progress_lock_timeout or "10s",
    progress_attempts = opts.progress_attempts or 3,
    url_schema = opts.url_schema,
  }, Executor)
  self.store = revisions.new(self.conn, opts.schema or opts.url_schema or revisions.DEFAULT_SCHEMA)
  return self
end

local function fail(fmt, ...)
  error(errors.new(1, fmt, ...), 0)
end

local function exec(conn, sql, ...)
  local res, err = conn:exec(sql, ...)
  if not res then error(err, 0) end
  return res
end

-- Moved to dbhost.duration; kept here for callers of the old name.
M.parse_duration = require("dbhost.duration").parse

--- ex:lock(timeout_seconds): take Atlas's advisory lock, retrying with backoff
function Executor:lock(timeout)
  local deadline = proc.now() + (timeout or 10)
  local delay = 0.025
  while true do
    local res = exec(self.conn, "SELECT pg_try_advisory_lock($1) AS ok", M.LOCK_KEY)
    if res.rows[1].ok == "t" then
      self.locked = true
      return true
    end
    if proc.now() >= deadline then
      fail("acquiring database lock: another migration (dbhost or Atlas) holds it; gave up after %s", tostring(timeout) .. "s")
    end
    proc.sleep(math.min(delay, math.max(0, deadline - proc.now())) + math.random() * 0.01)
    delay = math.min(delay * 2, 1)
  end
end

--- ex:unlock()
function Executor:unlock()
  if self.locked then
    self.conn:exec("SELECT pg_advisory_unlock($1)", M.LOCK_KEY)
    self.locked = false
  end
end

-- What makes a database "not clean" for a first apply (Atlas's CheckClean).
function Executor:check_clean()
  local res = exec(self.conn, [[
SELECT n.nspname AS schema, c.relname AS name, c.relkind AS kind
FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f')
  AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\_%'
  AND NOT (n.nspname = $1 AND c.relname = $2)
  AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend d WHERE d.classid = 'pg_class'::regclass
                  AND d.objid = c.oid AND d.deptype = 'e')
  AND ($3::text IS NULL OR n.nspname = $3)
ORDER BY 1, 2 LIMIT 1]], self.store.schema, revisions.TABLE, self.url_schema)
  local row = res.rows[1]
  if row then
    local kinds = { r = "table", p = "partitioned table", v = "view", m = "materialized view", f = "foreign table" }
    fail("connected database is not clean: found %s %q in schema %q. baseline version or allow-dirty is required",
      kinds[row.kind] or "relation", row.name, row.schema)
  end
end

local function index_of(files, version)
  for i, f in ipairs(files) do
    if f.version == version then return i end
  end
end

-- The running hash Atlas gave `file` when the directory held exactly `files`.
local function running_hash(files, file)
  local list = {}
  for i, f in ipairs(files) do list[i] = { name = f.name, data = f:text() } end
  local _, entries = hash.atlas_sum_of(list)
  for _, e in ipairs(entries or {}) do
    if e.name == file.name then return e.hash end
  end
end

--- ex:edited(revs) -> { { file=, rev= }, ... }: completely applied files whose content
-- changed after they ran, in version order.
-- The revisions table keeps each file's atlas.sum hash, a running hash over the
-- directory as it was when the file ran. Inserting an older file later (non-linear
-- order) changes the running hashes after it without any file being edited, so a
-- stored hash is also compared with the running hash over the directory of that
-- time: the files that ran before it (by executed_at), with or without each file a
-- baseline covers or that never ran (either may have been inserted later).
-- Only a file's own content (or an earlier file's) can make all of these differ.
function Executor:edited(revs)
  local files = self.dir.files
  local by_version = {}
  for _, r in ipairs(revs) do by_version[r.version] = r end
  local edited = {}
  for _, r in ipairs(revs) do
    local f = self.dir.by_version[r.version]
    if f and r.type == revisions.EXECUTE and r.applied == r.total and r.hash ~= "" and r.hash ~= f.hash then
      -- ran: the files that ran before it; baselined: files a baseline covers that have
      -- no row of their own (there at baseline time, or inserted later: unknown);
      -- never: files that never ran and no baseline covers
      local ran, baselined, never = {}, {}, {}
      local t = r.executed_epoch or math.huge
      for _, g in ipairs(files) do
        if g.version < r.version then
          local q = by_version[g.version]
          local covered = false
          for _, b in ipairs(revs) do
            if b.type == revisions.BASELINE and g.version <= b.version and (b.executed_epoch or 0) <= t then
              covered = true
            end
          end
          if q and q.type ~= revisions.BASELINE and (q.executed_epoch or 0) <= t then
            ran[#ran + 1] = g
          elseif covered then
            baselined[#baselined + 1] = g
          elseif not q then
            never[#never + 1] = g
          end
        end
      end
      -- the directory of that time is `ran` with some of the unknown files: try every
      -- subset (the fullest first) while there are few, else all of them or none
      local unknown = table.move(baselined, 1, #baselined, 1, {})
      table.move(never, 1, #never, #unknown + 1, unknown)
      local n = #unknown
      local masks = {}
      if n <= 6 then  -- at most 64 tries; the usual case is found by the first one or two
        for mask = 0, (1 << n) - 1 do masks[#masks + 1] = mask end
        local function bits(m) local c = 0 while m > 0 do c = c + (m & 1) m = m >> 1 end return c end
        table.sort(masks, function(a, b)
          local ba, bb = bits(a), bits(b)
          if ba ~= bb then return ba < bb end
          return a < b
        end)
      else
        masks = { 0, (1 << n) - 1 }
      end
      local same = false
      for _, mask in ipairs(masks) do  -- a set bit leaves that unknown file out
        local dirnow = table.move(ran, 1, #ran, 1, {})
        for i, g in ipairs(unknown) do
          if mask & (1 << (i - 1)) == 0 then dirnow[#dirnow + 1] = g end
        end
        table.sort(dirnow, function(a, b) return a.name < b.name end)
        dirnow[#dirnow + 1] = f
        if running_hash(dirnow, f) == r.hash then same = true break end
      end
      if not same then edited[#edited + 1] = { file = f, rev = r } end
    end
  end
  return edited
end

--- ex:plan(opts) -> plan: { pending = { file, ... }, revisions = {...}, current = version | nil, ... }
-- Reads the revisions table (creating nothing) and decides what to run.
function Executor:plan(opts)
  opts = opts or {}
  if opts.baseline and opts.allow_dirty then
    fail("baseline and allow-dirty are mutually exclusive")
  end
  local files = self.dir.files
  local revs = self.store:exists() and self.store:read_all() or {}
  local plan = { revisions = revs, pending = {}, baseline = nil }
  local by_version = {}
  for _, r in ipairs(revs) do by_version[r.version] = r end
  local start -- index into files of the first pending file

  if #revs == 0 then
    if opts.baseline then
      local i = index_of(files, opts.baseline)
      if not i then fail("baseline version %q not found", opts.baseline) end
      plan.baseline = files[i]
      start = i + 1
    else
      if not opts.allow_dirty then self:check_clean() end
      start = 1
      for i = #files, 1, -1 do
        if files[i]:is_checkpoint() then start = i break end
      end
    end
  else
    local last = revs[#revs]
    plan.current = last.version
    if last.applied ~= last.total then
      start = index_of(files, last.version)
      if not start then
        fail("missing migration: revision %q is partially applied but migration file was not found", last.version)
      end
      plan.partial = last
    else
      local idx = 0
      for i, f in ipairs(files) do
        if f.version <= last.version then idx = i end
      end
      start = idx + 1
      -- files older than the last revision that never ran: out of order
      local first = revs[1].version
      local missing = {}
      for i = 1, idx do
        local f = files[i]
        if f.version >= first and not by_version[f.version] and not f:is_checkpoint() then
          missing[#missing + 1] = f
        end
      end
      if #missing > 0 then
        local order = opts.exec_order or "linear"
        if order == "linear" then
          local names = {}
          for i, f in ipairs(missing) do names[i] = f.name end
          fail("migration file%s %s %s added out of order. See: https://atlasgo.io/versioned/apply#non-linear-error",
            #names > 1 and "s" or "", table.concat(names, ", "), #names > 1 and "were" or "was")
        elseif order == "non-linear" then
          for _, f in ipairs(missing) do plan.pending[#plan.pending + 1] = f end
        end
      end
      -- Atlas never compares applied files with what ran; dbhost refuses to go on
      -- when a completely applied file was changed afterwards.
      if not opts.allow_edited then
        local edited = self:edited(revs)[1]
        if edited then
          fail("migration file %s was changed after it was applied (its content differs from the one that ran): "
            .. "restore it, and put new changes in a new migration", edited.file.name)
        end
      end
    end
  end
  for i = start, #files do
    local f = files[i]
    if opts.to_version and f.version > opts.to_version then break end
    plan.pending[#plan.pending + 1] = f
  end
  if opts.amount and opts.amount < #plan.pending then
    for i = #plan.pending, opts.amount + 1, -1 do plan.pending[i] = nil end
  end
  return plan
end

-- The transaction mode for one file: the directive wins over the default,
-- except that "all" (global) cannot be combined with a directive.
function Executor:file_tx_mode(file)
  local d, err = file:directives()
  if not d then fail("%s", err) end
  local mode = d.txmode
  if mode and self.tx_mode == "all" then
    fail("cannot set txmode directive to %q in %q when txmode %q is set globally", mode, file.name, "all")
  end
  return mode or (self.tx_mode == "all" and "all" or self.tx_mode)
end

local function now_ns() return math.floor(proc.now() * 1e9) end

-- Whether the server runs anything for this text: a statement made only of
-- blanks, comments and semicolons (";" alone, say) gives no result at all in a
-- multi-statement query, so it must not count when results are matched to statements.
local function has_content(text)
  local i, n = 1, #text
  while i <= n do
    local c = text:sub(i, i)
    if c:match("[%s;]") then
      i = i + 1
    elseif text:sub(i, i + 1) == "--" then
      local nl = text:find("\n", i, true)
      if not nl then return false end
      i = nl + 1
    elseif text:sub(i, i + 1) == "/*" then
      local depth = 0  -- block comments nest in PostgreSQL
      repeat
        if text:sub(i, i + 1) == "/*" then depth, i = depth + 1, i + 2
        elseif text:sub(i, i + 1) == "*/" then depth, i = depth - 1, i + 2
        else i = i + 1 end
      until depth == 0 or i > n
    else
      return true
    end
  end
  return false
end

-- "file" and "all" mode: the file's statements, its revision row and (in
-- "file" mode) BEGIN and COMMIT go to the server as one query string, one
-- round trip per file. The failing statement is found from the server's error
-- position when it has one (a syntax error rejects the whole string before
-- anything runs, and positions count characters of the whole string), else
-- from which result failed, counting only the statements that give a result.
-- Each statement is followed by a line with ";" of its own, so a statement
-- whose text ends inside a "--" comment cannot run into the next one.
function Executor:execute_batched(file, rev, stmts, sums, applied, own_tx)
  local parts = {}        -- { text=, chars= start in characters, stmt= index | nil }
  local chars = 0
  local function add(text, k)
    parts[#parts + 1] = { text = text, chars = chars, stmt = k, results = has_content(text) }
    chars = chars + (utf8.len(text) or #text) + 1  -- joined with "\n"
  end
  if own_tx then add("BEGIN;") end
  for i = applied + 1, #stmts do
    self.log { kind = "stmt", file = file, stmt = stmts[i] }
    add(stmts[i].text .. "\n;", i)
    rev.partial_hashes[i] = sums[i]
  end
  rev.applied = #stmts
  rev.partial_hashes = nil
  rev.error, rev.error_stmt = nil, nil
  rev.execution_time = 0
  add(self.store:upsert_sql(rev) .. ";")
  if own_tx then add("COMMIT;") end
  local texts = {}
  for i, p in ipairs(parts) do texts[i] = p.text end
  local t0 = now_ns()
  local res, err = self.conn:exec_all(table.concat(texts, "\n"))
  if res then return true end
  local position, index = errors.position(err), errors.field(err, "statement_index")
  -- the part that failed: by position, else by result index
  local part
  if position then
    for _, p in ipairs(parts) do
      if p.chars < position then part = p else break end
    end
  elseif index then
    local n = 0
    for _, p in ipairs(parts) do
      if p.results then
        n = n + 1
        if n == index then part = p break end
      end
    end
  end
  local k, stmt = part and part.stmt, nil
  if k then
    stmt = stmts[k]
    if position then err.position = position - part.chars end
  else
    -- the revision write or COMMIT failed (a deferred constraint, say)
    local last = stmts[#stmts] or { text = "", pos = 0 }
    stmt = { text = "COMMIT", pos = last.pos + #last.text, line = last.line, col = last.col }
    k = #stmts
    if position then err.position = nil end
  end
  rev.applied = math.max(applied, k - 1)
  rev.error = errors.message(err)
  rev.error_stmt = stmt.text
  rev.execution_time = now_ns() - t0
  return nil, { file = file, stmt = stmt, index = k, err = err, rev = rev }
end

-- Run one file (own_tx: "file" mode, the file's own transaction).
-- Returns true, or nil and a failure table { file=, stmt=, err= }.
function Executor:execute_file(file, mode, dry_run, own_tx)
  local stmts, serr = file:statements()
  if not stmts then fail("%s", serr) end
  local sums = file:statement_hashes()
  local rev = self.revs_by_version[file.version]
  if not rev or rev.type == revisions.BASELINE then
    rev = { version = file.version, description = file.description, type = revisions.EXECUTE,
            applied = 0, total = #stmts, hash = file.hash, partial_hashes = {} }
  end
  rev.total = #stmts  -- refreshed on resume (Atlas #2455)
  rev.hash = file.hash
  rev.partial_hashes = rev.partial_hashes or {}
  local applied = rev.applied or 0
  if applied > 0 then
    for i = 1, applied do
      if i > #sums or sums[i] ~= rev.partial_hashes[i] then
        fail("history changed: statement %d from file %q changed", i, file.name)
      end
    end
  end
  local t0 = now_ns()
  self.log { kind = "file", file = file, resume_at = applied, mode = mode }
  if mode ~= "none" and not dry_run then
    local ok, failure = self:execute_batched(file, rev, stmts, sums, applied, own_tx)
    if not ok then return nil, failure end
  else
    -- "none" mode (and dry runs): statement by statement, progress recorded after each
    if not dry_run then self:record_progress(rev) end
    for i = applied + 1, #stmts do
      local stmt = stmts[i]
      self.log { kind = "stmt", file = file, stmt = stmt }
      if not dry_run then
        local res, err = self.conn:exec(stmt.text)
        if not res then
          rev.error = errors.message(err)
          rev.error_stmt = stmt.text
          rev.execution_time = now_ns() - t0
          return nil, { file = file, stmt = stmt, index = i, err = err, rev = rev }
        end
        rev.applied = i
        rev.partial_hashes[i] = sums[i]
        rev.error, rev.error_stmt = nil, nil
        self:record_progress(rev, file, i)
      end
    end
    rev.applied = #stmts
    rev.partial_hashes = nil
    rev.error, rev.error_stmt = nil, nil
    rev.execution_time = now_ns() - t0
    if not dry_run then self:record_progress(rev, file, #stmts) end
  end
  self.revs_by_version[file.version] = rev
  self.log { kind = "file_done", file = file, seconds = (now_ns() - t0) / 1e9, statements = #stmts - applied }
  return true
end

--- ex:record_progress(rev [, file, n]): write a "none"-mode revision row
-- A statement that autocommitted must be recorded, or the next run repeats it. So
-- the write does not run under the migration's lock_timeout and statement_timeout
-- (a lock held on the revisions table must not make it fail at once): it waits up
-- to progress_lock_timeout for locks, in its own implicit transaction (SET LOCAL,
-- still one round trip), and is tried progress_attempts times. When it still
-- fails, the error says that statement n of file was applied but not recorded,
-- and gives the SQL that records it.
function Executor:record_progress(rev, file, n)
  local sql = ("SET LOCAL lock_timeout = %s; SET LOCAL statement_timeout = 0; %s"):format(
    self.conn:escape_literal(self.progress_lock_timeout), self.store:upsert_sql(rev))
  local err
  for attempt = 1, self.progress_attempts do
    local res
    res, err = self.conn:exec_all(sql)
    if res then return true end
    if attempt < self.progress_attempts then proc.sleep(0.2 * attempt) end
  end
  local msg = errors.message(err)
  if not file then error(err, 0) end  -- nothing ran yet: an ordinary failure
  -- the same row, written without the prepared statement, for the user to run
  local prepared = self.store.prepared
  self.store.prepared = false
  local fix = self.store:upsert_sql(rev):gsub("%s+", " ")
  self.store.prepared = prepared
  fail("statement %d of %s was applied but not recorded in the revisions table (%s). The next apply would "
    .. "run it again: first record it by running this SQL on the database, then apply again:\n  %s;",
    n, file.name, msg, fix)
end

-- Record a failed "none"-mode file's error and progress in its revision row.
function Executor:record_failure(failure)
  local rev = failure.rev
  local ok, err = pcall(self.record_progress, self, rev)
  if not ok then self.log { kind = "warning", message = "could not record the failure: " .. tostring(err) } end
end

--- ex:execute(plan, opts) -> result
-- result = { applied = { {file=, seconds=}, ... }, failure = nil | {file=, stmt=, err=} }
function Executor:execute(plan, opts)
  opts = opts or {}
  local dry = opts.dry_run
  local conn = self.conn
  self.revs_by_version = {}
  for _, r in ipairs(plan.revisions) do self.revs_by_version[r.version] = r end
  local result = { applied = {}, pending = plan.pending }

  -- dbhost's own tables first, waiting for locks as its progress writes do (not
  -- under the migration's timeouts), then the settings for migration statements
  if not dry then
    exec(conn, ("SET lock_timeout = %s"):format(conn:escape_literal(self.progress_lock_timeout)))
    self.store:create()
    self.store:prepare()
    if plan.baseline then
      self.store:write { version = plan.baseline.version, description = plan.baseline.description,
                         type = revisions.BASELINE, applied = 0, total = 0, hash = "" }
    end
  end

  -- settings for migration statements: never wait silently behind a long transaction,
  -- and (PostgreSQL 14+) let the server abort our statement if dbhost dies mid-file,
  -- so a killed run does not keep its transaction and the migration lock alive
  exec(conn, ("SET lock_timeout = %s; SET statement_timeout = %s"):format(
    conn:escape_literal(self.stmt_lock_timeout), conn:escape_literal(self.stmt_timeout)))
  if conn:server_version() >= 140000 then
    exec(conn, "SET client_connection_check_interval = '1s'")
  end

  local modes = {}
  for i, f in ipairs(plan.pending) do modes[i] = self:file_tx_mode(f) end
  local in_all = self.tx_mode == "all" and not dry
  if in_all then exec(conn, "BEGIN") end
  for i, f in ipairs(plan.pending) do
    local mode = modes[i]
    local own_tx = mode == "file" and not dry
    local ok, failure = self:execute_file(f, mode, dry, own_tx)
    if not ok then
      if own_tx or in_all then
        conn:exec("ROLLBACK")
      elseif mode == "none" and not dry then
        self:record_failure(failure)
      end
      result.failure = failure
      return result
    end
    result.applied[#result.applied + 1] = f
  end
  if in_all then exec(conn, "COMMIT") end
  return result
end

return M
