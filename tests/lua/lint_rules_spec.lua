-- lint_rules_spec.lua: every lint rule fires on a case written for it and stays
-- silent on a safe variant; suppression comments, transaction modes and target
-- versions change the outcome as documented.
local linter = require "dbhost.linter"

local RULES = linter.load_rules { dirs = {} }

-- The earlier migration every case runs after: "users" and "orders" exist.
local HISTORY = [[
CREATE TABLE users (id bigint PRIMARY KEY, email varchar(20), name text, age int, note json);
CREATE TABLE orders (id bigint PRIMARY KEY, user_id bigint, total numeric(10,2), status text NOT NULL,
  CONSTRAINT orders_total_check CHECK (total >= 0));
CREATE INDEX orders_status_idx ON orders (status);
ALTER TABLE orders ADD CONSTRAINT orders_user_id_fkey FOREIGN KEY (user_id) REFERENCES users (id);
CREATE TABLE events (id bigint, day date) PARTITION BY RANGE (day);
CREATE TABLE events_2026 (id bigint, day date);
CREATE MATERIALIZED VIEW totals AS SELECT 1 AS n;
]]

-- lint(sql, o) -> findings of the one file (after HISTORY)
local function lint(sql, o)
  o = o or {}
  local s = linter.settings {
    rules = RULES, config = o.config or {}, pg_version = o.pg_version, tx_mode = o.tx_mode,
  }
  local res = linter.lint_files({
    { path = "0_history.sql", text = o.history or HISTORY, history = true },
    { path = "1_new.sql", text = sql, base = o.base, version = o.version },
  }, s)
  return res.findings
end

local function codes(findings)
  local out = {}
  for _, f in ipairs(findings) do out[#out + 1] = f.code end
  return out
end

local function has(findings, code)
  for _, f in ipairs(findings) do
    if f.code == code then return true end
  end
  return false
end

-- Each rule: a firing case and a safe case (same options unless `ok_opts`).
local ENABLE = function(code) return { rule = { [code] = { enabled = true } } } end
local CASES = {
  DS101 = { fire = "DROP SCHEMA staging CASCADE;", ok = "CREATE SCHEMA staging;" },
  DS102 = { fire = "DROP TABLE users;", ok = "CREATE TABLE tmp (id int);\nDROP TABLE tmp;" },
  DS103 = { fire = "ALTER TABLE users DROP COLUMN name;", ok = "ALTER TABLE users ADD COLUMN nick text;" },
  ["ban-drop-database"] = { fire = "DROP DATABASE app;", ok = "CREATE DATABASE app2;" },
  ["ban-truncate-cascade"] = { fire = "TRUNCATE users CASCADE;", ok = "TRUNCATE users;" },
  MF101 = { fire = "CREATE UNIQUE INDEX CONCURRENTLY users_email_key ON users (email);",
            ok = "CREATE INDEX CONCURRENTLY users_email_idx ON users (email);", opts = { tx_mode = "none" } },
  MF102 = { fire = "DROP INDEX CONCURRENTLY orders_status_idx;\nCREATE UNIQUE INDEX CONCURRENTLY orders_status_idx ON orders (status);",
            ok = "DROP INDEX CONCURRENTLY orders_status_idx;\nCREATE UNIQUE INDEX CONCURRENTLY orders_total_idx ON orders (total);",
            opts = { tx_mode = "none" } },
  MF103 = { fire = "ALTER TABLE users ADD COLUMN plan text NOT NULL;",
            ok = "ALTER TABLE users ADD COLUMN plan text NOT NULL DEFAULT 'free';" },
  MF104 = { fire = "ALTER TABLE users ALTER COLUMN email SET NOT NULL;",
            ok = "ALTER TABLE orders ALTER COLUMN status SET NOT NULL;" },
  BC101 = { fire = "ALTER TABLE users RENAME TO accounts;",
            ok = "ALTER TABLE users RENAME TO accounts;\nCREATE VIEW users AS SELECT * FROM accounts;" },
  BC102 = { fire = "ALTER TABLE users RENAME COLUMN name TO full_name;",
            ok = "ALTER TABLE users RENAME COLUMN name TO full_name;\nALTER TABLE users ADD COLUMN name text GENERATED ALWAYS AS (full_name) STORED;" },
  ["ban-drop-not-null"] = { fire = "ALTER TABLE orders ALTER COLUMN status DROP NOT NULL;",
                            ok = "ALTER TABLE orders ALTER COLUMN status SET DEFAULT 'new';" },
  DH111 = { fire = "ALTER SCHEMA public RENAME TO app;", ok = "CREATE SCHEMA app;" },
  DH112 = { fire = "ALTER TYPE mood RENAME VALUE 'sad' TO 'blue';", ok = "ALTER TYPE mood ADD VALUE 'ok' AFTER 'sad';" },
  CD101 = { fire = "ALTER TABLE orders DROP CONSTRAINT orders_user_id_fkey;",
            ok = "ALTER TABLE orders DROP CONSTRAINT orders_total_check;" },
  PG101 = { fire = "CREATE INDEX orders_total_idx ON orders (total);",
            ok = "CREATE TABLE t (a int);\nCREATE INDEX t_a_idx ON t (a);" },
  PG102 = { fire = "DROP INDEX orders_status_idx;", ok = "-- atlas:txmode none\n\nDROP INDEX CONCURRENTLY orders_status_idx;" },
  PG103 = { fire = "CREATE INDEX CONCURRENTLY orders_total_idx ON orders (total);",
            ok = "-- atlas:txmode none\n\nCREATE INDEX CONCURRENTLY orders_total_idx ON orders (total);" },
  ["require-concurrent-reindex"] = { fire = "REINDEX TABLE orders;", ok = "REINDEX (CONCURRENTLY) TABLE orders;",
                                     opts = { tx_mode = "none" } },
  ["require-concurrent-partition-detach"] = {
    fire = "ALTER TABLE events DETACH PARTITION events_2026;",
    ok = "ALTER TABLE events DETACH PARTITION events_2026 CONCURRENTLY;", opts = { tx_mode = "none" } },
  DH106 = { fire = "CREATE INDEX CONCURRENTLY i ON orders (total);",
            ok = "CREATE INDEX CONCURRENTLY i ON orders (total);",
            opts = { tx_mode = "none", pg_version = "14.2" }, ok_opts = { tx_mode = "none", pg_version = "14.4" } },
  PG104 = { fire = "ALTER TABLE events_2026 ADD PRIMARY KEY (id);",
            ok = "ALTER TABLE events_2026 ADD CONSTRAINT e_pkey PRIMARY KEY USING INDEX e_id_key;" },
  PG105 = { fire = "ALTER TABLE users ADD CONSTRAINT users_email_key UNIQUE (email);",
            ok = "ALTER TABLE users ADD CONSTRAINT users_email_key UNIQUE USING INDEX users_email_key;" },
  PG301 = { fire = "ALTER TABLE users ALTER COLUMN age TYPE bigint;",
            ok = "ALTER TABLE users ALTER COLUMN email TYPE varchar(40);" },
  PG302 = { fire = "ALTER TABLE users ADD COLUMN token uuid DEFAULT gen_random_uuid();",
            ok = "ALTER TABLE users ADD COLUMN joined timestamptz DEFAULT now();" },
  PG303 = { fire = "ALTER TABLE users ALTER COLUMN name SET NOT NULL;",
            ok = "ALTER TABLE users ADD CONSTRAINT nn CHECK (name IS NOT NULL) NOT VALID;\n"
              .. "COMMIT;\nBEGIN;\nALTER TABLE users VALIDATE CONSTRAINT nn;\nALTER TABLE users ALTER COLUMN name SET NOT NULL;",
            opts = { tx_mode = "none" } },
  PG304 = { fire = "ALTER TABLE events_2026 ADD PRIMARY KEY (id);",
            ok = "ALTER TABLE orders ADD CONSTRAINT o_key PRIMARY KEY USING INDEX orders_status_idx;" },
  PG305 = { fire = "ALTER TABLE orders ADD CONSTRAINT pos CHECK (total > 0);",
            ok = "ALTER TABLE orders ADD CONSTRAINT pos CHECK (total > 0) NOT VALID;" },
  ["adding-foreign-key-constraint"] = {
    fire = "ALTER TABLE orders ADD CONSTRAINT fk2 FOREIGN KEY (user_id) REFERENCES users (id);",
    ok = "ALTER TABLE orders ADD CONSTRAINT fk2 FOREIGN KEY (user_id) REFERENCES users (id) NOT VALID;" },
  DH108 = { fire = "ALTER TABLE orders ADD CONSTRAINT ex EXCLUDE USING gist (user_id WITH =);",
            ok = "CREATE TABLE b (r int, EXCLUDE USING gist (r WITH =));" },
  ["ban-create-domain-with-constraint"] = { fire = "CREATE DOMAIN pos AS int CHECK (VALUE > 0);",
                                            ok = "CREATE DOMAIN pos AS int;" },
  ["ban-alter-domain-with-add-constraint"] = { fire = "ALTER DOMAIN pos ADD CONSTRAINT c CHECK (VALUE > 0);",
                                               ok = "ALTER DOMAIN pos SET DEFAULT 1;" },
  ["transaction-nesting"] = { fire = "BEGIN;\nALTER TABLE users ADD COLUMN a int;\nCOMMIT;",
                              ok = "ALTER TABLE users ADD COLUMN a int;" },
  ["ban-uncommitted-transaction"] = { fire = "BEGIN;\nALTER TABLE users ADD COLUMN a int;",
                                      ok = "BEGIN;\nALTER TABLE users ADD COLUMN a int;\nCOMMIT;",
                                      opts = { tx_mode = "none" } },
  ["require-lock-timeout"] = { fire = "ALTER TABLE users ADD COLUMN a int;",
                               ok = "SET lock_timeout = '2s';\nALTER TABLE users ADD COLUMN a int;",
                               opts = { config = ENABLE("require-lock-timeout") } },
  ["require-statement-timeout"] = { fire = "ALTER TABLE users ADD COLUMN a int;",
                                    ok = "SET statement_timeout = '5s';\nALTER TABLE users ADD COLUMN a int;",
                                    opts = { config = ENABLE("require-statement-timeout") } },
  DH101 = { fire = "ALTER TABLE orders ADD CONSTRAINT pos CHECK (total > 0) NOT VALID;\nALTER TABLE orders VALIDATE CONSTRAINT pos;",
            ok = "ALTER TABLE orders VALIDATE CONSTRAINT pos;" },
  DH103 = { fire = "ALTER TABLE users ADD COLUMN a int;\nALTER TABLE users ADD COLUMN b int;",
            ok = "ALTER TABLE users ADD COLUMN a int, ADD COLUMN b int;" },
  DH104 = { fire = "ALTER TABLE users RENAME COLUMN name TO full_name;\nUPDATE orders SET total = 0;",
            ok = "UPDATE orders SET total = 0;\nALTER TABLE users RENAME COLUMN name TO full_name;" },
  ["prefer-robust-stmts"] = { fire = "CREATE TABLE t (a int);", ok = "CREATE TABLE IF NOT EXISTS t (a int);",
                              opts = { tx_mode = "none" } },
  ["ban-char-field"] = { fire = "CREATE TABLE t (c char(3));", ok = "CREATE TABLE t (c text);",
                         opts = { config = ENABLE("ban-char-field") } },
  ["prefer-bigint-over-int"] = { fire = "CREATE TABLE t (c int);", ok = "CREATE TABLE t (c bigint);",
                                 opts = { config = ENABLE("prefer-bigint-over-int") } },
  ["prefer-bigint-over-smallint"] = { fire = "CREATE TABLE t (c smallint);", ok = "CREATE TABLE t (c bigint);",
                                      opts = { config = ENABLE("prefer-bigint-over-smallint") } },
  ["prefer-identity"] = { fire = "CREATE TABLE t (id bigserial);",
                          ok = "CREATE TABLE t (id bigint GENERATED ALWAYS AS IDENTITY);",
                          opts = { config = ENABLE("prefer-identity") } },
  ["prefer-text-field"] = { fire = "CREATE TABLE t (c varchar(10));", ok = "CREATE TABLE t (c text);",
                            opts = { config = ENABLE("prefer-text-field") } },
  ["prefer-timestamp-tz"] = { fire = "CREATE TABLE t (c timestamp);", ok = "CREATE TABLE t (c timestamptz);",
                              opts = { config = ENABLE("prefer-timestamp-tz") } },
  DH109 = { fire = "ALTER TABLE users ADD COLUMN data json;", ok = "ALTER TABLE users ADD COLUMN data jsonb;" },
  DH115 = { fire = "ALTER TABLE orders ALTER COLUMN total TYPE numeric(12,2);",
            ok = "ALTER TABLE orders ALTER COLUMN user_id TYPE numeric(20,0);" },
  DH116 = { fire = "CREATE TYPE mood AS ENUM ('sad', 'ok');", ok = "CREATE TYPE pair AS (a int, b int);",
            opts = { config = ENABLE("DH116") } },
  DH110 = { fire = "CREATE TABLE t (a int, b int, c int, d int);\nCREATE INDEX t_idx ON t (a, b, c, d);",
            ok = "CREATE TABLE t (a int, b int, c int, d int);\nCREATE INDEX t_idx ON t (a, b, c);",
            opts = { config = ENABLE("DH110") } },
  PG110 = { fire = "CREATE TABLE t (a bool, b bigint, c bool, d bigint);",
            ok = "CREATE TABLE t (b bigint, d bigint, a bool, c bool);", opts = { config = ENABLE("PG110") } },
  ["ban-duplicate-column-assignments"] = { fire = "UPDATE users SET name = 'a', name = 'b';",
                                           ok = "UPDATE users SET name = 'a', email = 'b';" },
  ["require-enum-value-ordering"] = { fire = "ALTER TYPE mood ADD VALUE 'ok';",
                                      ok = "ALTER TYPE mood ADD VALUE 'ok' BEFORE 'sad';" },
  NM101 = { fire = "CREATE SCHEMA Billing_X;", ok = "CREATE SCHEMA billing;",
            opts = { config = { naming = { match = "^[a-z]+$" } } } },
  NM102 = { fire = 'CREATE TABLE "Orders2" (id bigint);', ok = "CREATE TABLE orders_two (id bigint);",
            opts = { config = { naming = { table = { match = "^[a-z_]+$" } } } } },
  NM103 = { fire = 'ALTER TABLE users ADD COLUMN "Nick" text;', ok = "ALTER TABLE users ADD COLUMN nick text;",
            opts = { config = { naming = { column = { match = "^[a-z_]+$" } } } } },
  NM104 = { fire = "CREATE INDEX CONCURRENTLY users_name ON users (name);",
            ok = "CREATE INDEX CONCURRENTLY users_name_idx ON users (name);",
            opts = { tx_mode = "none", config = { naming = { index = { match = "^[a-z_]+_idx$" } } } } },
  NM105 = { fire = "ALTER TABLE orders ADD CONSTRAINT orders_user FOREIGN KEY (user_id) REFERENCES users (id) NOT VALID;",
            ok = "ALTER TABLE orders ADD CONSTRAINT orders_user_fk FOREIGN KEY (user_id) REFERENCES users (id) NOT VALID;",
            opts = { config = { naming = { foreign_key = { match = "_fk$" } } } } },
  NM106 = { fire = "ALTER TABLE orders ADD CONSTRAINT positive CHECK (total > 0) NOT VALID;",
            ok = "ALTER TABLE orders ADD CONSTRAINT positive_check CHECK (total > 0) NOT VALID;",
            opts = { config = { naming = { check = { match = "_check$" } } } } },
  ["identifier-too-long"] = { fire = "CREATE TABLE " .. string.rep("t", 64) .. " (id bigint);",
                              ok = "CREATE TABLE " .. string.rep("t", 63) .. " (id bigint);" },
  ["require-table-schema"] = { fire = "CREATE TABLE t (id bigint);", ok = "CREATE TABLE public.t (id bigint);",
                               opts = { config = ENABLE("require-table-schema") } },
  DH113 = { fire = "VACUUM FULL users;", ok = "VACUUM users;", opts = { tx_mode = "none" } },
  DH114 = { fire = "REFRESH MATERIALIZED VIEW totals;", ok = "REFRESH MATERIALIZED VIEW CONCURRENTLY totals;" },
  ["prefer-repack"] = { fire = "CLUSTER users;", ok = "CLUSTER users;",
                        opts = { pg_version = "19" }, ok_opts = { pg_version = "18" } },
  DH102 = { fire = "CREATE TABLE items (id bigint, order_id bigint REFERENCES orders (id));",
            ok = "CREATE TABLE items (id bigint, order_id bigint REFERENCES orders (id));\n"
              .. "CREATE INDEX items_order_id_idx ON items (order_id, id);" },
  DH105 = { fire = "ALTER TABLE events ATTACH PARTITION events_2026 FOR VALUES FROM ('2026-01-01') TO ('2027-01-01');",
            ok = "CREATE TABLE events_2027 (id bigint, day date);\n"
              .. "ALTER TABLE events ATTACH PARTITION events_2027 FOR VALUES FROM ('2027-01-01') TO ('2028-01-01');" },
  ["unused-ignore"] = { fire = "-- squawk-ignore renaming-column\nALTER TABLE users DROP COLUMN name;",
                        ok = "-- squawk-ignore ban-drop-column\nALTER TABLE users DROP COLUMN name;" },
  DH107 = { fire = "SELECT 1;", ok = "SELECT 1;",
            opts = { version = "20260101000000", base = { latest = "20260201000000", ref = "origin/main" } },
            ok_opts = { version = "20260301000000", base = { latest = "20260201000000", ref = "origin/main" } } },
}

describe("lint rules", function()
  it("each rule has a firing and a safe case here", function()
    local missing = {}
    for _, r in ipairs(RULES) do
      if not CASES[r.code] then missing[#missing + 1] = r.code end
    end
    assert.are.same({}, missing)
  end)

  for _, r in ipairs(RULES) do
    local case = CASES[r.code]
    if case then
      it(r.code .. " fires on its case", function()
        local found = lint(case.fire, case.opts)
        assert(has(found, r.code), r.code .. " did not fire; found: " .. table.concat(codes(found), ", "))
      end)
      it(r.code .. " stays silent on the safe variant", function()
        local found = lint(case.ok, case.ok_opts or case.opts)
        assert(not has(found, r.code), r.code .. " fired on the safe variant")
      end)
      it(r.code .. " has a why, an advice and an example", function()
        assert.is_string(r.why)
        assert.is_string(r.advice)
        assert.is_string(r.example)
        assert.is_true(#r.why > 40)
      end)
    end
  end
end)

describe("lint context", function()
  it("exempts tables created earlier in the same file", function()
    local found = lint("CREATE TABLE t (a int);\nCREATE INDEX t_a ON t (a);\nALTER TABLE t ALTER COLUMN a SET NOT NULL;")
    assert.is_false(has(found, "PG101"))
    assert.is_false(has(found, "PG303"))
    assert.is_true(has(lint("CREATE INDEX u_a ON users (age);"), "PG101"))
  end)

  it("follows explicit transactions in a txmode none file", function()
    local found = lint("BEGIN;\nALTER TABLE users ADD COLUMN a int;\nCOMMIT;\nCOMMIT;", { tx_mode = "none" })
    local lines = {}
    for _, f in ipairs(found) do
      if f.code == "transaction-nesting" then lines[#lines + 1] = f.line .. " " .. f.message end
    end
    assert.are.same({ "4 COMMIT without a transaction to end" }, lines)
  end)

  it("decides CONCURRENTLY rules by the file's transaction mode", function()
    local sql = "CREATE INDEX CONCURRENTLY i ON users (age);"
    assert.is_true(has(lint(sql, { tx_mode = "file" }), "PG103"))
    assert.is_false(has(lint(sql, { tx_mode = "none" }), "PG103"))
    assert.is_false(has(lint("-- atlas:txmode none\n\n" .. sql, { tx_mode = "file" }), "PG103"))
    -- an explicit BEGIN in a txmode none file opens a transaction again
    assert.is_true(has(lint("BEGIN;\n" .. sql .. "\nCOMMIT;", { tx_mode = "none" }), "PG103"))
  end)

  it("decides version rules by the target version", function()
    local add = "ALTER TABLE users ADD COLUMN n int DEFAULT 0;"
    assert.is_true(has(lint(add, { pg_version = "10" }), "PG302"))
    assert.is_false(has(lint(add, { pg_version = "11" }), "PG302"))
    local ci = "CREATE INDEX CONCURRENTLY i ON users (age);"
    assert.is_true(has(lint(ci, { tx_mode = "none", pg_version = "14" }), "DH106"))
    assert.is_false(has(lint(ci, { tx_mode = "none", pg_version = "15" }), "DH106"))
    -- a validated CHECK lets SET NOT NULL skip its scan only from PostgreSQL 12
    local proven = "ALTER TABLE users ADD CONSTRAINT nn CHECK (name IS NOT NULL);\n"
      .. "ALTER TABLE users ALTER COLUMN name SET NOT NULL;"
    assert.is_false(has(lint(proven, { pg_version = "12" }), "PG303"))
    assert.is_true(has(lint(proven, { pg_version = "11" }), "PG303"))
  end)
end)

describe("lint suppression", function()
  local drop = "ALTER TABLE users DROP COLUMN name;"
  it("honours -- atlas:nolint with a code, an analyzer name, or nothing", function()
    assert.is_false(has(lint("-- atlas:nolint DS103\n" .. drop), "DS103"))
    assert.is_false(has(lint("-- atlas:nolint destructive\n" .. drop), "DS103"))
    assert.is_false(has(lint("-- atlas:nolint\n" .. drop), "DS103"))
    assert.is_true(has(lint("-- atlas:nolint DS102\n" .. drop), "DS103"))
    -- file-level: at the top, separated by a blank line
    assert.is_false(has(lint("-- atlas:nolint DS103\n\nSELECT 1;\n" .. drop), "DS103"))
  end)

  it("honours -- squawk-ignore NAME for the next statement only", function()
    local two = "-- squawk-ignore ban-drop-column\n" .. drop .. "\nALTER TABLE users DROP COLUMN email;"
    local found = lint(two)
    local lines = {}
    for _, f in ipairs(found) do
      if f.code == "DS103" then lines[#lines + 1] = f.line end
    end
    assert.are.same({ 3 }, lines)
    assert.is_false(has(lint("-- squawk-ignore ban-drop-column, renaming-column\n" .. drop), "DS103"))
    assert.is_true(has(lint("-- squawk-ignore renaming-column\n" .. drop), "DS103"))
  end)

  it("reports ignore comments that suppress nothing or name no rule", function()
    local found = lint("-- squawk-ignore ban-drop-column, no-such-rule\n" .. drop .. "\nSELECT 1;")
    local msgs = {}
    for _, f in ipairs(found) do
      if f.code == "unused-ignore" then msgs[#msgs + 1] = f.line .. ": " .. f.message end
    end
    assert.are.same({ '2: squawk-ignore names "no-such-rule", which no rule answers to' }, msgs)
    found = lint("-- squawk-ignore-file prefer-robust-stmts\nSELECT 1;")
    assert.are.equal("squawk-ignore-file prefer-robust-stmts suppressed nothing", found[1].message)
  end)

  it("honours -- squawk-ignore-file with and without names", function()
    assert.is_false(has(lint("-- squawk-ignore-file\n\n" .. drop), "DS103"))
    assert.is_false(has(lint("SELECT 1;\n-- squawk-ignore-file ban-drop-column\n" .. drop), "DS103"))
    assert.is_true(has(lint("-- squawk-ignore-file ban-drop-table\n" .. drop), "DS103"))
  end)

  it("takes severities from the lint block", function()
    local f = lint(drop, { config = { destructive = { error = false } } })
    assert.are.equal("warning", f[1].severity)
    f = lint("ALTER TABLE users ADD COLUMN plan text NOT NULL;", { config = { data_depend = { error = true } } })
    assert.are.same({ "MF103", "error" }, { f[1].code, f[1].severity })
    f = lint(drop, { config = { rule = { ["ban-drop-column"] = { severity = "info" } } } })
    assert.are.equal("info", f[1].severity)
    assert.is_false(has(lint(drop, { config = { rule = { DS103 = { severity = "off" } } } }), "DS103"))
    assert.has_error(function() lint(drop, { config = { rule = { NOPE = { severity = "off" } } } }) end)
  end)
end)

describe("lint positions", function()
  it("reports syntax errors at the file's line and character column", function()
    local found = lint("SELECT 1;\n\n  SELECT 'é', 'ü' FRM t;\n")
    assert.are.equal(1, #found)
    local f = found[1]
    assert.are.equal("syntax-error", f.code)
    assert.are.equal("error", f.severity)
    assert.are.same({ 3, 23 }, { f.line, f.column })
    assert.are.equal('syntax error at or near "t"', f.message)
  end)

  it("reports an error on a later line of a multi-line statement", function()
    local f = lint("SELECT 1;\nCREATE TABLE t (\n  a int,\n  b int,,\n  c int\n);")[1]
    assert.are.equal("syntax-error", f.code)
    assert.are.same({ 4, 9 }, { f.line, f.column })
    -- the splitter's own errors (an unclosed parenthesis) are syntax errors too
    f = lint("SELECT 1;\nCREATE TABLE t (\n  a int,\n  b int(\n);")[1]
    assert.are.same({ "syntax-error", 2, 16, "unclosed '('" }, { f.code, f.line, f.column, f.message })
  end)

  it("counts columns in characters", function()
    local f = lint("/* é */ ALTER TABLE users DROP COLUMN name;")[1]
    assert.are.same({ "DS103", 1, 9 }, { f.code, f.line, f.column })
  end)
end)
