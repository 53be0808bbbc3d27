--- Analyzer "locking" (Atlas's PG104, PG105, PG301-PG305) plus squawk's
-- foreign-key and domain rules and strong_migrations' exclusion constraint:
-- statements that hold ACCESS EXCLUSIVE (or SHARE ROW EXCLUSIVE) while they
-- scan or rewrite a table that already has rows.
local ast = require "dbhost.linter.ast"

-- added_constraints(st) -> iterator over { k = Constraint, col = ColumnDef|nil } of an ALTER TABLE
local function added_constraints(st)
  local out = {}
  for _, cmd in ipairs(ast.alter_cmds(st)) do
    local t, d = ast.cmd_def(cmd)
    if cmd.subtype == "AT_AddConstraint" and t == "Constraint" then
      out[#out + 1] = { k = d }
    elseif cmd.subtype == "AT_AddColumn" and t == "ColumnDef" then
      for _, c in ipairs(ast.column_constraints(d)) do out[#out + 1] = { k = c, col = d } end
    end
  end
  return out
end

local existing_alter = ast.existing_alter

-- added_messages(st, ctx, fn) -> { message, ... } | nil: what fn(a, tname) returns for each
-- constraint an ALTER TABLE adds to a table the file did not create
local function added_messages(st, ctx, fn)
  local tname = existing_alter(st, ctx)
  if not tname then return nil end
  return ast.messages(added_constraints(st), function(a) return fn(a, tname) end)
end

-- first_added_message(st, ctx, fn) -> the first of added_messages | nil
local function first_added_message(st, ctx, fn)
  return (added_messages(st, ctx, fn) or {})[1]
end

-- index_build_check(contype, what) -> check reporting a constraint of contype added without
-- USING INDEX, whose index ADD builds under ACCESS EXCLUSIVE
local function index_build_check(contype, what)
  return function(st, ctx)
    return first_added_message(st, ctx, function(a, tname)
      if a.k.contype == contype and not a.k.indexname then
        return ("Adding %s to %s builds its index under ACCESS EXCLUSIVE"):format(what, ast.q(tname))
      end
    end)
  end
end

-- Type changes that keep the on-disk format (no rewrite, no index rebuild).
local function safe_type_change(old, new)
  if not old or not old.type or not new.type then return false end
  local o, n = old.type, new.type
  local om, nm = old.mods or {}, new.mods or {}
  if o == n and table.concat(om, ",") == table.concat(nm, ",") then return true end
  if o == "varchar" and n == "text" then return true end
  if o == "varchar" and n == "varchar" then return #nm == 0 or (#om > 0 and nm[1] >= om[1]) end
  if o == "text" and n == "varchar" and #nm == 0 then return true end
  if o == "numeric" and n == "numeric" then
    if #nm == 0 then return true end
    return #om > 0 and nm[1] >= om[1] and (nm[2] or 0) == (om[2] or 0)
  end
  if o == "cidr" and n == "inet" then return true end
  if (o == "bit varying" or o == "varbit") and n == o then return #nm == 0 or (#om > 0 and nm[1] >= om[1]) end
  return false
end

-- not_null_check(expr, col) -> true for a CHECK (col IS NOT NULL)
local function not_null_check(expr, col)
  local t, f = ast.unwrap(expr)
  if t ~= "NullTest" or f.nulltesttype ~= "IS_NOT_NULL" then return false end
  local at, af = ast.unwrap(f.arg)
  if at ~= "ColumnRef" then return false end
  local names = ast.strings(af.fields)
  return names[#names] == col
end

return {
  name = "locking",
  rules = {
    {
      code = "PG104", on = { "AlterTableStmt" }, name = "add-primary-key", aliases = { "adding-serial-primary-key-field" },
      severity = "warning",
      summary = "primary key added by building its index under ACCESS EXCLUSIVE",
      why = "ADD PRIMARY KEY builds a unique index while holding ACCESS EXCLUSIVE on the table: no read or "
        .. "write gets through until the whole table is indexed.",
      advice = "Build the unique index CONCURRENTLY first, then attach it with ADD PRIMARY KEY USING INDEX.",
      example = "-- atlas:txmode none\n\nCREATE UNIQUE INDEX CONCURRENTLY items_pkey_idx ON items (id);\n"
        .. "-- next file:\nALTER TABLE items ADD CONSTRAINT items_pkey PRIMARY KEY USING INDEX items_pkey_idx;",
      check = index_build_check("CONSTR_PRIMARY", "a primary key"),
    },
    {
      code = "PG105", on = { "AlterTableStmt" }, name = "add-unique-constraint", aliases = { "disallowed-unique-constraint" },
      severity = "warning",
      summary = "unique constraint added by building its index under ACCESS EXCLUSIVE",
      why = "ADD UNIQUE builds an index while holding ACCESS EXCLUSIVE on the table, blocking reads and "
        .. "writes for the whole build.",
      advice = "CREATE UNIQUE INDEX CONCURRENTLY, then ADD CONSTRAINT … UNIQUE USING INDEX.",
      example = "-- atlas:txmode none\n\nCREATE UNIQUE INDEX CONCURRENTLY users_email_key ON users (email);\n"
        .. "-- next file:\nALTER TABLE users ADD CONSTRAINT users_email_key UNIQUE USING INDEX users_email_key;",
      check = index_build_check("CONSTR_UNIQUE", "a unique constraint"),
    },
    {
      code = "PG301", on = { "AlterTableStmt" }, name = "column-type-change", aliases = { "changing-column-type" }, severity = "warning",
      summary = "column type change that rewrites the table",
      why = "Most type changes rewrite the whole table and rebuild its indexes under ACCESS EXCLUSIVE; "
        .. "the table is unusable for the duration. Only a few changes keep the storage format "
        .. "(varchar to text, a larger varchar or numeric precision, cidr to inet).",
      advice = "Add a column of the new type, write to both, backfill in batches, switch reads, then drop "
        .. "the old column.",
      example = "ALTER TABLE orders ADD COLUMN total_big bigint;\n"
        .. "-- backfill in batches, dual-write in the code, then swap",
      check = function(st, ctx)
        return ast.alter_messages(st, ctx, "AT_AlterColumnType", function(cmd, tname)
          local _, cd = ast.cmd_def(cmd)
          local name, mods = ast.type_name(cd and cd.typeName)
          local old = ctx.model:column(tname, cmd.name)
          if not (cd and cd.raw_default == nil and safe_type_change(old, { type = name, mods = mods })) then
            local from = old and old.type and (" from " .. old.type) or ""
            return ("Changing the type of column %s of %s%s to %s may rewrite the table and its indexes")
              :format(ast.q(cmd.name), ast.q(tname), from, tostring(name))
          end
        end)
      end,
    },
    {
      code = "PG302", on = { "AlterTableStmt" }, name = "add-column-volatile-default", aliases = { "adding-field-with-default" },
      severity = "warning",
      summary = "column added with a volatile default or as stored generated column",
      why = "Since PostgreSQL 11 a constant DEFAULT is stored once, but a volatile one (random(), "
        .. "gen_random_uuid(), clock_timestamp(), nextval of a serial) and a STORED generated column "
        .. "are computed for every row: the table is rewritten under ACCESS EXCLUSIVE. Before 11, "
        .. "any DEFAULT rewrites.",
      advice = "Add the column without the default, set the default afterwards (it applies to new rows), "
        .. "and backfill existing rows in batches.",
      example = "ALTER TABLE users ADD COLUMN token uuid;\n"
        .. "ALTER TABLE users ALTER COLUMN token SET DEFAULT gen_random_uuid();\n"
        .. "-- then: UPDATE users SET token = gen_random_uuid() WHERE id BETWEEN … (batches)",
      check = function(st, ctx)
        local tname = existing_alter(st, ctx)
        if not tname then return nil end
        local out = {}
        for _, cmd in ipairs(ast.alter_cmds(st)) do
          local t, cd = ast.cmd_def(cmd)
          if cmd.subtype == "AT_AddColumn" and t == "ColumnDef" then
            local tn = ast.type_name(cd.typeName)
            if tn == "serial" or tn == "bigserial" or tn == "smallserial" or tn == "serial4" or tn == "serial8" then
              out[#out + 1] = ("Adding %s column %s to %s rewrites the table (nextval is volatile)")
                :format(tn, ast.q(cd.colname), ast.q(tname))
            end
            for _, c in ipairs(ast.column_constraints(cd)) do
              if c.contype == "CONSTR_GENERATED" then
                out[#out + 1] = ("Adding stored generated column %s to %s rewrites the table")
                  :format(ast.q(cd.colname), ast.q(tname))
              elseif c.contype == "CONSTR_DEFAULT" then
                local fn = ast.volatile_call(c.raw_expr)
                if fn then
                  out[#out + 1] = ("Adding column %s to %s with volatile default %s() rewrites the table")
                    :format(ast.q(cd.colname), ast.q(tname), fn)
                elseif not ctx:version_at_least(11) then
                  out[#out + 1] = ("Adding column %s to %s with a default rewrites the table before PostgreSQL 11")
                    :format(ast.q(cd.colname), ast.q(tname))
                end
              end
            end
          end
        end
        return out
      end,
    },
    {
      code = "PG303", on = { "AlterTableStmt" }, name = "set-not-null-scan", aliases = { "adding-not-nullable-field" }, severity = "warning",
      summary = "SET NOT NULL scans the table under ACCESS EXCLUSIVE",
      why = "SET NOT NULL reads every row to prove there is no NULL while holding ACCESS EXCLUSIVE; on a "
        .. "large table that blocks all traffic. From PostgreSQL 12 a validated CHECK (col IS NOT NULL) "
        .. "lets it skip the scan.",
      advice = "Add CHECK (col IS NOT NULL) NOT VALID, VALIDATE it in a later transaction (no blocking "
        .. "lock), then SET NOT NULL (no scan) and drop the check.",
      example = "ALTER TABLE users ADD CONSTRAINT users_email_nn CHECK (email IS NOT NULL) NOT VALID;\n"
        .. "-- next file:\nALTER TABLE users VALIDATE CONSTRAINT users_email_nn;\n"
        .. "-- next file:\nALTER TABLE users ALTER COLUMN email SET NOT NULL;\n"
        .. "ALTER TABLE users DROP CONSTRAINT users_email_nn;",
      check = function(st, ctx)
        return ast.alter_messages(st, ctx, "AT_SetNotNull", function(cmd, tname)
          local proven = ctx:version_at_least(12) and ctx.model:validated_check(tname, function(k)
            return not_null_check(k.expr, cmd.name)
          end)
          if not proven then
            return ("Setting column %s of %s NOT NULL scans the whole table under ACCESS EXCLUSIVE")
              :format(ast.q(cmd.name), ast.q(tname))
          end
        end)
      end,
    },
    {
      code = "DH115", on = { "AlterTableStmt" }, name = "type-change-with-check", severity = "warning",
      summary = "type change of a column that CHECK constraints use",
      why = "Changing a column's type re-checks every CHECK constraint that mentions the column against "
        .. "every row, under the ACCESS EXCLUSIVE lock of the ALTER, even when the type change itself "
        .. "needs no rewrite.",
      advice = "Drop the CHECK constraints on the column first, change the type, then add them back NOT "
        .. "VALID and VALIDATE them in a later transaction.",
      example = "ALTER TABLE orders DROP CONSTRAINT orders_total_positive;\n"
        .. "ALTER TABLE orders ALTER COLUMN total TYPE numeric(14,2);\n"
        .. "ALTER TABLE orders ADD CONSTRAINT orders_total_positive CHECK (total > 0) NOT VALID;",
      check = function(st, ctx)
        local tname = existing_alter(st, ctx)
        local tbl = tname and ctx.model.tables[tname]
        if not tbl then return nil end
        local out = {}
        for _, cmd in ipairs(ast.alter_cmds(st)) do
          if cmd.subtype == "AT_AlterColumnType" then
            for kname, k in pairs(tbl.constraints) do
              if k.kind == "check" and k.expr then
                local uses = false
                ast.walk(k.expr, function(t, f)
                  if t == "ColumnRef" then
                    local names = ast.strings(f.fields)
                    uses = uses or names[#names] == cmd.name
                  end
                end)
                if uses then
                  out[#out + 1] = ("Changing the type of %s re-checks constraint %s on every row of %s")
                    :format(ast.q(cmd.name), ast.q(kname), ast.q(tname))
                end
              end
            end
          end
        end
        table.sort(out)
        return out
      end,
    },
    {
      code = "PG304", on = { "AlterTableStmt" }, name = "primary-key-nullable-columns", severity = "warning",
      summary = "primary key on nullable columns implies SET NOT NULL",
      why = "A primary key makes its columns NOT NULL; for a column that is nullable this is a SET NOT "
        .. "NULL with its full-table scan under ACCESS EXCLUSIVE.",
      advice = "Prove the columns NOT NULL first (validated CHECK, then SET NOT NULL), then add the key "
        .. "USING INDEX.",
      example = "ALTER TABLE items ALTER COLUMN id SET NOT NULL;  -- after a validated CHECK\n"
        .. "ALTER TABLE items ADD CONSTRAINT items_pkey PRIMARY KEY USING INDEX items_id_key;",
      check = function(st, ctx)
        local tname = existing_alter(st, ctx)
        if not tname then return nil end
        local out = {}
        for _, a in ipairs(added_constraints(st)) do
          if a.k.contype == "CONSTR_PRIMARY" and not a.col then
            local cols = ast.strings(a.k.keys)
            if a.k.indexname and ctx.model.indexes[a.k.indexname] then cols = ctx.model.indexes[a.k.indexname].cols end
            for _, c in ipairs(cols) do
              local col = ctx.model:column(tname, c)
              if col and not col.notnull then
                out[#out + 1] = ("Primary key on nullable column %s of %s sets it NOT NULL with a full scan")
                  :format(ast.q(c), ast.q(tname))
              end
            end
          end
        end
        return out
      end,
    },
    {
      code = "PG305", on = { "AlterTableStmt" }, name = "add-check-without-not-valid", aliases = { "constraint-missing-not-valid" },
      severity = "warning",
      summary = "CHECK constraint added without NOT VALID",
      why = "ADD CONSTRAINT … CHECK scans the whole table to validate existing rows while holding ACCESS "
        .. "EXCLUSIVE.",
      advice = "Add it NOT VALID (new rows are checked at once, no scan), then VALIDATE CONSTRAINT in a "
        .. "later transaction, which takes only SHARE UPDATE EXCLUSIVE.",
      example = "ALTER TABLE orders ADD CONSTRAINT orders_total_positive CHECK (total > 0) NOT VALID;\n"
        .. "-- next file:\nALTER TABLE orders VALIDATE CONSTRAINT orders_total_positive;",
      check = function(st, ctx)
        return added_messages(st, ctx, function(a, tname)
          if a.k.contype == "CONSTR_CHECK" and not a.k.skip_validation and not a.col then
            return ("Adding CHECK constraint %s to %s without NOT VALID scans the table under ACCESS EXCLUSIVE")
              :format(ast.q(a.k.conname or "?"), ast.q(tname))
          end
        end)
      end,
    },
    {
      code = "adding-foreign-key-constraint", on = { "AlterTableStmt" }, aliases = { "constraint-missing-not-valid" }, severity = "warning",
      summary = "foreign key added without NOT VALID",
      why = "Adding a foreign key validates every existing row while holding SHARE ROW EXCLUSIVE on both "
        .. "the table and the referenced table, blocking writes to both.",
      advice = "Add the foreign key NOT VALID, then VALIDATE CONSTRAINT in a later transaction.",
      example = "ALTER TABLE orders ADD CONSTRAINT orders_customer_fk FOREIGN KEY (customer_id)\n"
        .. "  REFERENCES customers (id) NOT VALID;\n-- next file:\n"
        .. "ALTER TABLE orders VALIDATE CONSTRAINT orders_customer_fk;",
      check = function(st, ctx)
        return added_messages(st, ctx, function(a, tname)
          if a.k.contype == "CONSTR_FOREIGN" and not a.k.skip_validation then
            return ("Adding foreign key %s to %s without NOT VALID blocks writes to %s and %s while it validates")
              :format(ast.q(a.k.conname or "?"), ast.q(tname), ast.q(tname), ast.q(ast.relname(a.k.pktable) or "?"))
          end
        end)
      end,
    },
    {
      code = "DH108", on = { "AlterTableStmt" }, name = "add-exclusion-constraint", severity = "warning",
      summary = "exclusion constraint added to an existing table",
      why = "ADD CONSTRAINT … EXCLUDE builds its index and checks every row under ACCESS EXCLUSIVE, and "
        .. "there is no NOT VALID or USING INDEX escape for exclusion constraints.",
      advice = "Add it while the table is small or during a maintenance window; or enforce the rule in "
        .. "the application until then.",
      example = "-- atlas:nolint DH108   (table has few rows)\n"
        .. "ALTER TABLE bookings ADD CONSTRAINT no_overlap EXCLUDE USING gist (room WITH =, during WITH &&);",
      check = function(st, ctx)
        return first_added_message(st, ctx, function(a, tname)
          if a.k.contype == "CONSTR_EXCLUSION" then
            return ("Adding exclusion constraint %s to %s builds an index and scans under ACCESS EXCLUSIVE")
              :format(ast.q(a.k.conname or "?"), ast.q(tname))
          end
        end)
      end,
    },
    {
      code = "ban-create-domain-with-constraint", on = { "CreateDomainStmt" }, severity = "warning",
      summary = "domain created with a CHECK",
      why = "Changing a domain's constraints later revalidates every column of every table using the "
        .. "domain under heavy locks; column constraints are easier to change safely.",
      advice = "Put the CHECK on the columns (NOT VALID, then VALIDATE) instead of the domain.",
      example = "CREATE DOMAIN positive_int AS int;\nALTER TABLE t ADD CONSTRAINT t_n_pos CHECK (n > 0) NOT VALID;",
      check = function(st)
        if st.type ~= "CreateDomainStmt" then return nil end
        for _, c in ipairs(st.node.constraints or {}) do
          local _, k = ast.unwrap(c)
          if k and k.contype == "CONSTR_CHECK" then return "Domain created with a CHECK constraint" end
        end
      end,
    },
    {
      code = "ban-alter-domain-with-add-constraint", on = { "AlterDomainStmt" }, severity = "warning",
      summary = "constraint added to a domain",
      why = "ALTER DOMAIN … ADD CONSTRAINT checks every column using the domain in every table, holding "
        .. "locks on all of them.",
      advice = "Add the constraint to the columns instead, NOT VALID first.",
      example = "ALTER TABLE t ADD CONSTRAINT t_n_pos CHECK (n > 0) NOT VALID;",
      check = function(st)
        if st.type == "AlterDomainStmt" and st.node.subtype == "C" then
          return "Adding a constraint to a domain validates every column that uses it"
        end
      end,
    },
  },
}
