--- Analyzer "transactions": how statements share transactions and locks.
-- squawk's transaction-nesting, ban-uncommitted-transaction, prefer-robust-stmts
-- and timeout rules; strong_migrations' and eugene's VALIDATE-in-the-same-
-- transaction, ACCESS EXCLUSIVE held while more statements run, and several
-- ALTERs of one table.
local ast = require "dbhost.linter.ast"

local function line_of(st) return st and st.line or "?" end

-- takes_table_lock(st) -> table name when the statement locks an existing table in a conflicting mode
local function takes_table_lock(st, ctx)
  local t, f = st.type, st.node
  local name
  if t == "AlterTableStmt" or t == "RenameStmt" or t == "ClusterStmt" or t == "RefreshMatViewStmt" then
    name = ast.relname(f.relation)
  elseif t == "IndexStmt" and not f.concurrent then
    name = ast.relname(f.relation)
  elseif t == "DropStmt" and (f.removeType == "OBJECT_TABLE" or f.removeType == "OBJECT_INDEX") and not f.concurrent then
    name = ast.dropped_names(f)[1]
  elseif t == "TruncateStmt" then
    name = ast.relname(f.relations and f.relations[1])
  elseif t == "CreateTrigStmt" then
    name = ast.relname(f.relation)
  end
  if name and ctx:existing(name) then return name end
end

local TX_OR_SET = { TransactionStmt = true, VariableSetStmt = true, VariableShowStmt = true }

-- timeout_check(setting) -> check reporting, once per file, the first statement that locks a
-- table before SET <setting> ("lock_timeout", "statement_timeout")
local function timeout_check(setting)
  local reported = "reported_" .. setting
  return function(st, ctx)
    if ctx.settings[setting] or ctx[reported] then return nil end
    local name = takes_table_lock(st, ctx)
    if name then
      ctx[reported] = true
      return ("Statement locks %s with no " .. setting .. " set earlier in the file"):format(ast.q(name))
    end
  end
end

return {
  name = "transactions",
  rules = {
    {
      code = "transaction-nesting", on = { "TransactionStmt" }, severity = "warning",
      summary = "BEGIN/COMMIT nested or fighting the runner's transaction",
      why = "The runner wraps each file in a transaction (txmode file). A BEGIN inside it only warns and "
        .. "does nothing, and a COMMIT ends the runner's transaction early, so the rest of the file runs "
        .. "outside any transaction and a failure leaves a half-applied migration.",
      advice = "Remove BEGIN/COMMIT and let the runner manage the transaction; or mark the file "
        .. "-- atlas:txmode none and manage transactions yourself.",
      example = "-- no BEGIN/COMMIT in a txmode file migration\nALTER TABLE t ADD COLUMN c int;",
      check = function(st, ctx)
        if st.type ~= "TransactionStmt" then return nil end
        local k = st.node.kind
        if (k == "TRANS_STMT_BEGIN" or k == "TRANS_STMT_START") and ctx.tx.open then
          if ctx.tx.explicit then return "BEGIN inside a transaction opened by an earlier BEGIN" end
          return "BEGIN inside the transaction the runner opens for this file (txmode " .. ctx.txmode .. ")"
        elseif (k == "TRANS_STMT_COMMIT" or k == "TRANS_STMT_ROLLBACK") and ctx.tx.open and not ctx.tx.explicit then
          return (k == "TRANS_STMT_COMMIT" and "COMMIT" or "ROLLBACK")
            .. " ends the runner's transaction early; the rest of the file runs outside it"
        elseif (k == "TRANS_STMT_COMMIT" or k == "TRANS_STMT_ROLLBACK") and not ctx.tx.open then
          return (k == "TRANS_STMT_COMMIT" and "COMMIT" or "ROLLBACK") .. " without a transaction to end"
        end
      end,
    },
    {
      code = "ban-uncommitted-transaction", severity = "error",
      summary = "BEGIN without COMMIT",
      why = "A transaction opened with BEGIN and never committed is rolled back when the session ends: "
        .. "the migration looks applied but changed nothing.",
      advice = "End the transaction with COMMIT in the same file.",
      example = "BEGIN;\nALTER TABLE t ADD COLUMN c int;\nCOMMIT;",
      finish = function(ctx)
        if ctx.tx.explicit and ctx.tx.open and ctx.txmode == "none" then
          return { { st = ctx.tx.begin, message = "Transaction opened here is never committed" } }
        end
      end,
    },
    {
      code = "require-lock-timeout", aliases = { "require-timeout-settings" }, severity = "warning", opt_in = true,
      summary = "lock-taking statement before SET lock_timeout",
      why = "A DDL statement that waits for its lock (behind a long query) makes every later query on the "
        .. "table queue behind it. dbhost apply sets lock_timeout itself (--stmt-lock-timeout, 5s), so "
        .. "this rule is off unless enabled, for files other tools apply.",
      advice = "SET lock_timeout before the first DDL statement, and retry the migration when it times out.",
      example = "SET lock_timeout = '2s';\nALTER TABLE orders ADD COLUMN note text;",
      check = timeout_check("lock_timeout"),
    },
    {
      code = "require-statement-timeout", aliases = { "require-timeout-settings" }, severity = "warning", opt_in = true,
      summary = "lock-taking statement before SET statement_timeout",
      why = "A statement that runs for long while holding a strong lock blocks the application for as "
        .. "long as it runs. dbhost apply has --stmt-timeout, so this rule is off unless enabled.",
      advice = "SET statement_timeout before the first DDL statement.",
      example = "SET statement_timeout = '5s';\nALTER TABLE orders ADD COLUMN note text;",
      check = timeout_check("statement_timeout"),
    },
    {
      code = "DH101", on = { "AlterTableStmt" }, name = "validate-in-same-transaction",
      aliases = { "constraint-missing-not-valid" }, severity = "warning",
      summary = "VALIDATE CONSTRAINT in the same transaction as the ADD",
      why = "Adding a constraint NOT VALID is cheap, but the ADD took ACCESS EXCLUSIVE (CHECK) or SHARE ROW "
        .. "EXCLUSIVE (FOREIGN KEY), and that lock is held until the transaction ends. Validating in the "
        .. "same transaction scans the table while the strong lock is still held, which NOT VALID was "
        .. "meant to avoid.",
      advice = "Validate in a separate transaction: the next migration file, or after a COMMIT in a "
        .. "-- atlas:txmode none file.",
      example = "ALTER TABLE orders ADD CONSTRAINT orders_total_positive CHECK (total > 0) NOT VALID;\n"
        .. "-- next file:\nALTER TABLE orders VALIDATE CONSTRAINT orders_total_positive;",
      check = function(st, ctx)
        local tname = ast.relname(st.node.relation)
        local out = {}
        for _, cmd in ipairs(ast.alter_cmds(st)) do
          if cmd.subtype == "AT_ValidateConstraint" then
            local added = ctx.tx.open and ctx.tx.not_valid[tname .. "." .. (cmd.name or "")]
            if added then
              out[#out + 1] = ("Validating %s in the same transaction that added it (line %s) keeps the strong lock during the scan")
                :format(ast.q(cmd.name), line_of(added))
            elseif ctx.tx.open and ctx.tx.ae and ctx.tx.ae.table == tname then
              out[#out + 1] = ("Validating %s while ACCESS EXCLUSIVE on %s (taken at line %s) is held")
                :format(ast.q(cmd.name), ast.q(tname), line_of(ctx.tx.ae.st))
            end
          end
        end
        return out
      end,
    },
    {
      code = "DH103", on = { "AlterTableStmt" }, name = "multiple-alter-table", severity = "info",
      summary = "several ALTER TABLE statements on one table",
      why = "Each ALTER TABLE takes the table's lock again and may scan or rewrite it again; one ALTER "
        .. "TABLE with several actions does the work in one pass.",
      advice = "Combine the actions into one ALTER TABLE statement, separated by commas.",
      example = "ALTER TABLE orders ADD COLUMN note text, ADD COLUMN source text;",
      check = function(st, ctx)
        if st.type ~= "AlterTableStmt" or st.node.objtype ~= "OBJECT_TABLE" then return nil end
        local tname = ast.relname(st.node.relation)
        ctx.alter_seen = ctx.alter_seen or {}
        local first = ctx.alter_seen[tname]
        if not first then ctx.alter_seen[tname] = st return nil end
        if first == true then return nil end     -- reported once per table
        ctx.alter_seen[tname] = true
        if ctx:existing(tname) then
          return ("Table %s was already altered at line %d; combine the ALTER TABLE statements")
            :format(ast.q(tname), first.line)
        end
      end,
    },
    {
      code = "DH104", name = "access-exclusive-held", severity = "warning",
      summary = "ACCESS EXCLUSIVE held while more statements run",
      why = "Once a statement takes ACCESS EXCLUSIVE on a table, the lock stays until the transaction "
        .. "commits. Every statement after it in the same transaction (backfills, index builds, other "
        .. "ALTERs) extends the time during which no one can even read the table.",
      advice = "Put the statement that takes ACCESS EXCLUSIVE last in its transaction, or in a file of its own.",
      example = "-- file 1:\nCREATE INDEX CONCURRENTLY …;   -- (txmode none)\n-- file 2:\nALTER TABLE orders RENAME COLUMN a TO b;",
      check = function(st, ctx)
        local held = ctx.tx.open and ctx.tx.ae
        if not held or ctx.tx.reported_ae or TX_OR_SET[st.type] or held.st == st then return nil end
        ctx.tx.reported_ae = true
        local rest = 0
        for _, nx in ctx:ahead() do
          if nx.type == "TransactionStmt" then break end
          rest = rest + 1
        end
        return ("ACCESS EXCLUSIVE on %s (taken at line %d) is held while this and %d more statement(s) run")
          :format(ast.q(held.table), held.st.line, rest)
      end,
    },
    {
      code = "prefer-robust-stmts", on = { "CreateStmt", "IndexStmt", "DropStmt", "AlterTableStmt" }, severity = "warning",
      summary = "non-idempotent DDL outside a transaction",
      why = "Outside a transaction a failed migration leaves the statements before the failure applied; "
        .. "re-running the file then fails on them unless they are written to be re-run.",
      advice = "Use IF NOT EXISTS / IF EXISTS (and name concurrent indexes) so the file can run again, or "
        .. "let the runner wrap the file in a transaction.",
      example = "-- atlas:txmode none\n\nCREATE INDEX CONCURRENTLY IF NOT EXISTS orders_note_idx ON orders (note);",
      check = function(st, ctx)
        if ctx:in_transaction() then return nil end
        local t, f = st.type, st.node
        if t == "CreateStmt" and not f.if_not_exists then return "CREATE TABLE without IF NOT EXISTS" end
        if t == "IndexStmt" and (not f.if_not_exists or not f.idxname) then
          return "CREATE INDEX without IF NOT EXISTS (and an explicit name)"
        end
        if t == "DropStmt" and not f.missing_ok then return "DROP without IF EXISTS" end
        for _, cmd in ipairs(ast.alter_cmds(st)) do
          if (cmd.subtype == "AT_AddColumn" or cmd.subtype == "AT_DropColumn") and not cmd.missing_ok then
            return "ALTER TABLE " .. (cmd.subtype == "AT_AddColumn" and "ADD COLUMN without IF NOT EXISTS"
              or "DROP COLUMN without IF EXISTS")
          end
        end
      end,
    },
  },
}
