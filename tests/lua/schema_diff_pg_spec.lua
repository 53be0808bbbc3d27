-- schema_diff_pg_spec.lua: inspect -> render -> load round trips, plans verified by applying
-- them, the schema commands, and the batching rule (a fixed number of catalog queries).
-- Needs DBHOST_TEST_DATABASE_URL (scratch databases are made on that server).
local helper = require "helper"
local fs = require "dbhost.fs"
local pg = require "dbhost.pg"
local proc = require "dbhost.proc"
local json = require "dbhost.json"
local model = require "dbhost.schema.model"
local errors = require "dbhost.errors"

-- The keys of a map, sorted (what a part holds, compared as lists)
local function names(map)
  local out = {}
  for k in pairs(map) do out[#out + 1] = k end
  table.sort(out)
  return out
end
local diff = require "dbhost.schema.diff"
local inspect = require "dbhost.schema.inspect"
local render = require "dbhost.schema.render"
local source = require "dbhost.schema.source"

local URL = assert(os.getenv("DBHOST_TEST_DATABASE_URL"), "DBHOST_TEST_DATABASE_URL is not set")

local RICH = [[
CREATE EXTENSION IF NOT EXISTS citext;
CREATE EXTENSION IF NOT EXISTS btree_gist;
CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy');
CREATE DOMAIN posint AS integer CHECK (VALUE > 0);
CREATE TYPE pair AS (a integer, b text COLLATE "C");
CREATE SCHEMA app;
COMMENT ON SCHEMA app IS 'application';
CREATE SEQUENCE app.counter START 10 INCREMENT 5;
CREATE TABLE users (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, email citext NOT NULL UNIQUE,
  name text COLLATE "C" DEFAULT 'x', m mood DEFAULT 'ok', age posint,
  full_name text GENERATED ALWAYS AS (name || '!') STORED, CHECK (length(name) > 0));
COMMENT ON TABLE users IS 'the users';
COMMENT ON COLUMN users.email IS 'mail';
CREATE TABLE posts (id serial PRIMARY KEY, user_id bigint REFERENCES users(id) ON DELETE CASCADE
  DEFERRABLE INITIALLY DEFERRED, body text, tags text[], created timestamptz DEFAULT now());
CREATE INDEX posts_user ON posts (user_id) INCLUDE (body) WHERE body IS NOT NULL;
CREATE UNIQUE INDEX posts_lower ON posts (lower(body)) NULLS NOT DISTINCT;
CREATE TABLE events (id int, at date NOT NULL, PRIMARY KEY (id, at)) PARTITION BY RANGE (at);
CREATE TABLE events_2024 PARTITION OF events FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
CREATE INDEX events_at ON events (at);
CREATE TABLE base (a int);
CREATE TABLE child (b int) INHERITS (base);
CREATE TABLE rooms (id int, during tstzrange, EXCLUDE USING gist (id WITH =, during WITH &&));
ALTER TABLE posts ADD CONSTRAINT body_len CHECK (length(body) < 1000) NOT VALID;
CREATE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN NEW.created := now(); RETURN NEW; END $$;
CREATE TRIGGER posts_touch BEFORE UPDATE ON posts FOR EACH ROW EXECUTE FUNCTION touch();
CREATE FUNCTION add(a int, b int) RETURNS int LANGUAGE sql IMMUTABLE AS 'SELECT a + b';
CREATE PROCEDURE noop() LANGUAGE sql AS $$ SELECT 1 $$;
CREATE VIEW user_posts AS SELECT u.id, u.email, p.body FROM users u JOIN posts p ON p.user_id = u.id;
CREATE VIEW v2 AS SELECT id FROM user_posts WHERE id > 1 WITH CHECK OPTION;
CREATE MATERIALIZED VIEW post_counts AS SELECT user_id, count(*) FROM posts GROUP BY user_id;
CREATE UNIQUE INDEX post_counts_uid ON post_counts (user_id);
ALTER TABLE posts ENABLE ROW LEVEL SECURITY;
CREATE POLICY own ON posts FOR SELECT TO PUBLIC USING (user_id = 1);
GRANT SELECT ON users TO PUBLIC;
REVOKE EXECUTE ON FUNCTION add(int, int) FROM PUBLIC;
]]

-- RICH with a column renamed, a type widened, an enum value inserted and used by a default, a view changed.
local CHANGED = RICH:gsub("name text COLLATE \"C\" DEFAULT 'x'", "nick text DEFAULT 'meh'")
  :gsub("%(name %|%|", "(nick ||"):gsub("length%(name%)", "length(nick)")
  :gsub("'sad', 'ok', 'happy'", "'sad', 'meh', 'ok', 'happy'"):gsub("m mood DEFAULT 'ok'", "m mood DEFAULT 'meh'")
  :gsub("body text,", "body varchar(200),"):gsub("u.email, p.body FROM", "u.email, p.body, u.nick FROM")

local tmp
setup(function() tmp = assert(fs.mkdtemp("dbhost-schema-spec.", os.getenv("TMPDIR") or "/tmp")) end)
teardown(function() if tmp then fs.rmtree(tmp) end end)

local function write(name, text)
  local path = tmp .. "/" .. name
  assert(fs.write(path, text))
  return path
end

local function apply(conn, plan)
  for _, s in ipairs(plan.statements) do
    local ok, err = conn:exec(s.sql)
    assert(ok, tostring(err) .. "\n" .. s.sql)
  end
end

describe("schema engine on PostgreSQL", function()
  it("renders SQL that recreates the inspected schema", function()
    local m = assert(source.load("file://" .. write("rich.sql", RICH), { dev_url = URL }))
    assert.truthy(m.tables["public.users"].columns.id.identity)
    assert.equal("public.events", m.tables["public.events_2024"].partition_of)
    assert.same({ "public.base" }, m.tables["public.child"].parents)
    assert.equal("x", m.tables["public.rooms"].constraints.rooms_id_during_excl.type)
    assert.equal("public.posts.id", m.sequences["public.posts_id_seq"].owned_by)
    assert.truthy(m.views["public.post_counts"].materialized)
    assert.equal("procedure", m.functions["public.noop()"].kind)
    local text = assert(render.sql(m))
    local again = assert(source.load("file://" .. write("rendered.sql", text), { dev_url = URL }))
    local same, d = model.compare(again, m)
    assert(same, table.concat(d or {}, "\n"))
  end)

  it("plans a change that, applied, reaches the desired schema", function()
    local from, info = assert(source.load("file://" .. write("a.sql", RICH), { dev_url = URL, keep = true }))
    local to = assert(source.load("file://" .. write("b.sql", CHANGED), { dev_url = URL }))
    local plan = assert(diff.plan(from, to))
    assert.is_true(plan.txmode_none)          -- 'meh' is added and used by a default
    local hint = false
    for _, s in ipairs(plan.statements) do hint = hint or s.rename_hint ~= nil end
    assert.is_true(hint)
    local ok, err = pcall(apply, info.conn, plan)
    local after = ok and inspect.inspect(info.conn)
    info.conn:close()
    info.dev:close()
    assert(ok, err)
    local same, d = model.compare(after, to)
    assert(same, table.concat(d or {}, "\n"))
    assert.equal(0, #assert(diff.plan(after, to)).statements)
  end)

  -- Plans from a to b, applies it, and checks the result equals b.
  local function round_trip(name, a_sql, b_sql)
    local from, info = assert(source.load("file://" .. write(name .. "_a.sql", a_sql), { dev_url = URL, keep = true }))
    local to = assert(source.load("file://" .. write(name .. "_b.sql", b_sql), { dev_url = URL }))
    local plan = assert(diff.plan(from, to))
    local ok, err = pcall(apply, info.conn, plan)
    local after = ok and inspect.inspect(info.conn)
    info.conn:close()
    info.dev:close()
    assert(ok, tostring(err) .. "\n" .. diff.render(plan))
    local same, d = model.compare(after, to)
    assert(same, table.concat(d or {}, "\n"))
    assert.equal(0, #assert(diff.plan(after, to)).statements)
    return plan, from, to
  end

  it("rebuilds a domain whose base type changes, with the domains and dependents built on it", function()
    local a = [[
CREATE DOMAIN code AS varchar(10) CHECK (VALUE <> '');
CREATE DOMAIN upper_code AS code CHECK (VALUE = upper(VALUE));
CREATE TYPE labelled AS (c upper_code, label text);
CREATE TABLE codes (id int PRIMARY KEY, c code NOT NULL UNIQUE, u upper_code DEFAULT 'A', many code[],
  CONSTRAINT c_len CHECK (length(c) > 1));
CREATE INDEX codes_u ON codes (u);
CREATE TABLE uses (code code REFERENCES codes (c));
CREATE VIEW code_view AS SELECT id, c, u FROM codes;
CREATE FUNCTION first_code() RETURNS code LANGUAGE sql AS $$ SELECT c FROM codes LIMIT 1 $$;
]]
    local b = a:gsub("varchar%(10%)", "varchar(20)")
    local plan = round_trip("domain_rebuild", a, b)
    local sqls = {}
    for i, st in ipairs(plan.statements) do sqls[i] = st.sql end
    local text = table.concat(sqls, "\n")
    assert.matches("ALTER TABLE public.codes ALTER COLUMN c TYPE character varying(10) USING c::character varying(10)",
      text, 1, true)
    assert.matches("ALTER TABLE public.codes ALTER COLUMN many TYPE character varying(10)[]", text, 1, true)
    assert.matches("ALTER TYPE public.labelled ALTER ATTRIBUTE c TYPE character varying(10)", text, 1, true)
    -- the domain over the domain goes first, and comes back after it
    assert.is_true(text:find("DROP DOMAIN public.upper_code", 1, true) < text:find("DROP DOMAIN public.code\n", 1, true))
    assert.is_true(text:find("CREATE DOMAIN public.code ", 1, true) < text:find("CREATE DOMAIN public.upper_code", 1, true))
    for _, st in ipairs(plan.statements) do assert.is_false(st.destructive) end
  end)

  it("rebuilds an enum with its domains, arrays, composite attributes and checks", function()
    local a = [[
CREATE TYPE colour AS ENUM ('red', 'green', 'blue', 'mauve');
CREATE DOMAIN primary_colour AS colour DEFAULT 'red' CHECK (VALUE <> 'green');
CREATE DOMAIN primary_list AS primary_colour[];
CREATE TYPE swatch AS (c colour, p primary_colour);
CREATE TABLE palettes (id int PRIMARY KEY, colours colour[] NOT NULL DEFAULT '{red}', main primary_colour UNIQUE,
  alt primary_colour[], list primary_list, CHECK (main::colour <> 'blue'));
CREATE INDEX palettes_main ON palettes (main) WHERE main::colour <> 'red';
CREATE VIEW mains AS SELECT id, main FROM palettes;
]]
    local b = a:gsub(", 'mauve'", "")
    local plan = round_trip("enum_rebuild", a, b)
    local text = diff.render(plan)
    assert.matches("DROP TYPE public.colour_old;", text, 1, true)
    assert.matches("ALTER TABLE public.palettes ALTER COLUMN main TYPE text USING main::text;", text, 1, true)
    assert.matches("ALTER TYPE public.swatch ALTER ATTRIBUTE c TYPE public.colour;", text, 1, true)
    -- a domain over the enum that goes away with its column is dropped before the old enum
    plan = round_trip("enum_rebuild_drop", a .. "CREATE DOMAIN legacy AS colour;\nALTER TABLE palettes ADD COLUMN old legacy;\n", b)
    text = diff.render(plan)
    assert.is_true(text:find("DROP DOMAIN public.legacy;", 1, true) < text:find("DROP TYPE public.colour_old;", 1, true))
  end)

  it("inspects and plans comments on composite type attributes", function()
    local a = [[
CREATE TYPE pair AS (x int, "Y" text, z int);
COMMENT ON COLUMN pair.z IS 'gone';
]]
    local b = [[
CREATE TYPE pair AS (x int, "Y" text, z int);
COMMENT ON COLUMN pair.x IS 'the x';
COMMENT ON COLUMN pair."Y" IS 'it''s Y';
]]
    local plan, from, to = round_trip("attr_comments", a, b)
    assert.same({ z = { name = "z", comment = "gone" } }, from.types["public.pair"].columns)
    assert.equal("it's Y", to.types["public.pair"].columns.Y.comment)
    local text = diff.render(plan)
    assert.matches("COMMENT ON COLUMN public.pair.x IS 'the x';", text, 1, true)
    assert.matches("COMMENT ON COLUMN public.pair.\"Y\" IS 'it''s Y';", text, 1, true)
    assert.matches("COMMENT ON COLUMN public.pair.z IS NULL;", text, 1, true)
    local ok, d = model.compare(from, to)
    assert.is_nil(ok)
    assert.matches("type public.pair: column x missing", table.concat(d, "\n"), 1, true)
    -- rendered from scratch, the comments come back
    local again = assert(source.load("file://" .. write("attr_render.sql", assert(render.sql(to))), { dev_url = URL }))
    assert.is_true(model.compare(again, to))
  end)

  it("inspect_many runs meanwhile() once, while both inspections wait for their catalog queries", function()
    local a, b = assert(pg.connect(URL)), assert(pg.connect(URL))
    local events = {}
    local function job(conn, name)
      return function()
        local m = assert(inspect.inspect(conn))
        events[#events + 1] = name
        return m
      end
    end
    local r = inspect.inspect_many({ job(a, "a"), job(b, "b") }, function(relations)
      -- told how many relations the two inspections read
      assert.is_true(math.type(relations) == "integer" and relations >= 0)
      -- both connections have their catalog queries out: nothing else may run on them now
      assert.has_error(function() a:exec("SELECT 1") end)
      assert.has_error(function() b:exec("SELECT 1") end)
      events[#events + 1] = "meanwhile"
    end)
    assert.is_true(r[1][1] and r[2][1])
    assert.same({ "meanwhile", "a", "b" }, events)
    -- jobs that never wait: meanwhile() still runs, once, at the end
    local n = 0
    inspect.inspect_many({ function() return 1 end }, function() n = n + 1 end)
    assert.equal(1, n)
    a:close()
    b:close()
  end)

  it("recreates a schema for verification with its tables made on two connections", function()
    local compare = require "dbhost.schema.compare"
    local text = { "CREATE TYPE app_state AS ENUM ('a', 'b');" }
    for i = 1, 40 do
      text[#text + 1] = ("CREATE TABLE t%02d (id int PRIMARY KEY, s app_state, ref int);"):format(i)
      if i > 1 then text[#text + 1] = ("ALTER TABLE t%02d ADD FOREIGN KEY (ref) REFERENCES t%02d (id);"):format(i, i - 1) end
    end
    -- a table whose column is another table's row type, and a child: after the others
    text[#text + 1] = "CREATE TABLE holder (x public.t01); CREATE TABLE kid (extra int) INHERITS (t02);"
    text[#text + 1] = "CREATE VIEW v AS SELECT id FROM t40;"
    local base = assert(source.load("file://" .. write("forty.sql", table.concat(text, "\n")), { dev_url = URL }))
    local db = ("recreate_%d_%d"):format(proc.pid(), math.random(1, 1e9))
    local admin = assert(pg.connect(URL))
    assert(admin:exec("CREATE DATABASE " .. db))
    local url = URL:gsub("^(postgres[a-z]*:///)[^?]*", "%1" .. db)
    local conn = assert(pg.connect(url))
    assert(compare.recreate(url, conn, base))
    local again = assert(inspect.inspect(conn))
    assert.is_true(model.compare(again, base))
    -- the 40 tables came from two transactions (two connections): the xmin of their row
    -- types (that of pg_class rows changes again when the foreign keys are added)
    local r = assert(conn:exec("SELECT count(DISTINCT t.xmin::text) AS n FROM pg_type t JOIN pg_class c "
      .. "ON c.reltype = t.oid WHERE c.relkind = 'r' AND c.relname ~ '^t[0-9]+$'"))
    assert.equal("2", r.rows[1].n)
    conn:close()
    admin:exec("DROP DATABASE " .. db .. " WITH (FORCE)")
    admin:close()
  end)

  it("inspects with a fixed number of queries, whatever the number of tables", function()
    local function count_queries(ntables)
      local text = {}
      for i = 1, ntables do
        text[#text + 1] = ("CREATE TABLE t%d (id int PRIMARY KEY, v text); CREATE INDEX t%d_v ON t%d (v);"):format(i, i, i)
      end
      local _, info = assert(source.load("file://" .. write("n" .. ntables .. ".sql", table.concat(text, "\n")),
        { dev_url = URL, keep = true }))
      local n = 0
      local proxy = setmetatable({}, { __index = function(_, k)
        return function(_, ...)
          if k == "exec" then n = n + 1 end
          return info.conn[k](info.conn, ...)
        end
      end })
      local m = inspect.inspect(proxy)
      info.conn:close()
      info.dev:close()
      return n, m
    end
    local n1, m1 = count_queries(1)
    local n40, m40 = count_queries(40)
    assert.equal(1, model.count(m1).tables)
    assert.equal(40, model.count(m40).tables)
    assert.equal(n1, n40)
  end)

  it("names file, line, column and SQLSTATE of a failing source statement", function()
    local path = write("bad.sql", "CREATE TABLE ok (id int);\n\nCREATE TABLE bad (id nosuchtype);\n")
    local m, err = source.load("file://" .. path, { dev_url = URL })
    assert.is_nil(m)
    assert.matches(path .. ":3:22: type \"nosuchtype\" does not exist (SQLSTATE 42704)", err, 1, true)
  end)

  it("cuts the part of two schemas a plan is about, which plans the same statements", function()
    local subset = require "dbhost.schema.subset"
    local base, changed = {}, {}
    for i = 1, 30 do
      local fk = i > 1 and ", up integer REFERENCES t1 (id)" or ""
      base[#base + 1] = ("CREATE TABLE t%d (id integer PRIMARY KEY, n text%s);"):format(i, fk)
      changed[#changed + 1] = base[#base]
    end
    base[#base + 1] = "CREATE VIEW v7 AS SELECT id FROM t7;"
    changed[#changed + 1] = "CREATE VIEW v7 AS SELECT id, n FROM t7;"
    base[#base + 1] = "CREATE MATERIALIZED VIEW mv11 AS SELECT id, n FROM t11;"
    changed[#changed + 1] = base[#base]
    changed[5] = "CREATE TABLE t5 (id integer PRIMARY KEY, n text, up integer REFERENCES t1 (id), extra date);"
    changed[6] = "CREATE TABLE t6 (id integer PRIMARY KEY, n text, up integer REFERENCES t1 (id) ON DELETE CASCADE);"
    base[8] = "CREATE TABLE t8 (id integer PRIMARY KEY, n text CHECK (n <> ''), up integer REFERENCES t1 (id));"
    changed[8] = "CREATE TABLE t8 (id integer PRIMARY KEY, n varchar(40) CHECK (n <> ''), up integer REFERENCES t1 (id));"
    changed[#changed + 1] = "CREATE INDEX t9_lower ON t9 (lower(n)) WHERE up > 3;"
    changed[#changed + 1] = "CREATE INDEX mv11_n ON mv11 (n);"
    local from = assert(source.load("file://" .. write("sub_a.sql", table.concat(base, "\n")), { dev_url = URL }))
    local to = assert(source.load("file://" .. write("sub_b.sql", table.concat(changed, "\n")), { dev_url = URL }))
    local plan = assert(diff.plan(from, to))
    local fpart, tpart = subset.of(plan, from, to)
    assert.truthy(fpart, "no part was cut")
    -- a changed table is cut to what changes: t5 to its new column (nothing on the current
    -- side), t8 to its retyped column and the check that names it (the change rebuilds it)
    assert.same({}, names(fpart.tables["public.t5"].columns))
    assert.same({ "extra" }, names(tpart.tables["public.t5"].columns))
    assert.same({}, names(fpart.tables["public.t5"].constraints))
    assert.same({ "n" }, names(fpart.tables["public.t8"].columns))
    assert.same({ "t8_n_check" }, names(fpart.tables["public.t8"].constraints))
    -- t6's changed foreign key comes with the table it points at, as a stub cut to its key
    -- (the column and the primary key the foreign key uses)
    assert.same({ "t6_up_fkey" }, names(fpart.tables["public.t6"].constraints))
    assert.same({ "id" }, names(fpart.tables["public.t1"].columns))
    assert.same({ "t1_pkey" }, names(fpart.tables["public.t1"].constraints))
    assert.is_nil(tpart.tables["public.t20"])
    -- t7 is read by the changed view: cut to the columns either version reads
    assert.truthy(fpart.views["public.v7"])
    assert.same({ "id", "n" }, names(fpart.tables["public.t7"].columns))
    assert.same({}, names(fpart.tables["public.t7"].constraints))
    -- t9 is there for its new index: cut to the columns the index names
    assert.same({ "n", "up" }, names(fpart.tables["public.t9"].columns))
    -- a new index of a materialized view: the view comes with it
    assert.truthy(fpart.views["public.mv11"] and tpart.indexes["public.mv11_n"])
    local again = assert(diff.plan(fpart, tpart))
    assert.equal(diff.render(plan), diff.render(again))
    -- the part recreated on its own and changed by the plan reaches the desired part
    local _, info = assert(source.load("file://" .. write("sub_part.sql", assert(render.sql(fpart))),
      { dev_url = URL, keep = true }))
    local ok, err = pcall(apply, info.conn, plan)
    local after = ok and inspect.inspect(info.conn)
    info.conn:close()
    info.dev:close()
    assert(ok, err)
    local same, d = model.compare(after, tpart)
    assert(same, table.concat(d or {}, "\n"))
  end)

  it("puts in the part what depends on a column the plan retypes, even when the planner forgot it", function()
    local subset = require "dbhost.schema.subset"
    local base = { "CREATE TABLE k1 (id integer PRIMARY KEY, n integer, note text);",
                   "CREATE TABLE k2 (id integer PRIMARY KEY, up integer REFERENCES k1 (id), x text);",
                   "CREATE VIEW kv AS SELECT n FROM k1;",
                   "CREATE VIEW kw AS SELECT note FROM k1;" }
    for i = 3, 30 do base[#base + 1] = ("CREATE TABLE k%d (id integer PRIMARY KEY);"):format(i) end
    local changed = {}
    for i, q in ipairs(base) do changed[i] = q end
    changed[1] = "CREATE TABLE k1 (id bigint PRIMARY KEY, n bigint, note text);"
    local from = assert(source.load("file://" .. write("dep_a.sql", table.concat(base, "\n")), { dev_url = URL }))
    local to = assert(source.load("file://" .. write("dep_b.sql", table.concat(changed, "\n")), { dev_url = URL }))
    local planner = assert(diff.prepare(from, to))
    local hints = planner:hints()
    -- the planner recreates the view on n and the foreign key on id around the change; one
    -- that forgot them must still find them in the part, where applying its plan fails
    assert.truthy(hints._recreate["view:public.kv"] and hints._recreate["constraint:public.k2.k2_up_fkey"])
    hints._recreate, hints._untouched = {}, {}
    local fpart = assert(subset.of(hints, from, to))
    assert.same({ "id", "n" }, names(fpart.tables["public.k1"].columns))
    assert.truthy(fpart.views["public.kv"])
    assert.is_nil(fpart.views["public.kw"])   -- it reads a column the plan leaves alone
    assert.same({ "k2_up_fkey" }, names(fpart.tables["public.k2"].constraints))
    assert.same({ "up" }, names(fpart.tables["public.k2"].columns))
  end)

  it("verifies schema diff between two databases", function()
    local _, ia = assert(source.load("file://" .. write("db_a.sql", RICH), { dev_url = URL, keep = true }))
    local _, ib = assert(source.load("file://" .. write("db_b.sql", CHANGED), { dev_url = URL, keep = true }))
    local r = assert(proc.run { argv = { helper.dbhost, "schema", "diff", "--from", ia.dev.url,
      "--to", ib.dev.url, "--dev-url", URL }, timeout = 120 })
    ia.conn:close() ia.dev:close() ib.conn:close() ib.dev:close()
    assert.equal(0, r.status, r.stderr)
    assert.matches("ALTER TYPE public.mood ADD VALUE 'meh' AFTER 'sad';", r.stdout, 1, true)
  end)

  it("fails the verification of a plan that does not reach the desired schema, on the part and on the whole", function()
    local compare = require "dbhost.schema.compare"
    local devdb = require "dbhost.db.dev"
    local _, ia = assert(source.load("file://" .. write("bad_a.sql", RICH), { dev_url = URL, keep = true }))
    local _, ib = assert(source.load("file://" .. write("bad_b.sql", CHANGED), { dev_url = URL, keep = true }))
    -- a planner that forgets its last statement (the part's plan forgets it too, so the part
    -- is verified, says no, and the whole is verified after it)
    local prepare, open, stdout = diff.prepare, devdb.open, io.stdout
    local opened = 0
    diff.prepare = function(...)
      local planner = assert(prepare(...))
      local finish = planner.finish
      planner.finish = function(self)
        local plan = assert(finish(self))
        table.remove(plan.statements)
        return plan
      end
      return planner
    end
    devdb.open = function(...) opened = opened + 1 return open(...) end
    io.stdout = assert(io.open("/dev/null", "w")) -- luacheck: ignore 122 (the command writes its plan there)
    local ok, err = pcall(compare.run, { from = ia.dev.url, to = ib.dev.url, dev_url = URL })
    io.stdout:close()
    diff.prepare, devdb.open, io.stdout = prepare, open, stdout -- luacheck: ignore 122
    ia.conn:close() ia.dev:close() ib.conn:close() ib.dev:close()
    assert.is_false(ok)
    assert.matches("verification failed: the plan does not reach the desired schema", errors.message(err), 1, true)
    assert.equal(2, opened)
  end)

  it("plans the same text in every run (no order from hashing)", function()
    -- columns with defaults moving between two enums: each default is dropped and set again;
    -- the hash seed of each process must not decide the order of those statements
    local before, after = { "CREATE TYPE e_old AS ENUM ('x', 'y');" }, { "CREATE TYPE e_new AS ENUM ('x', 'y');" }
    for i = 1, 6 do
      before[#before + 1] = ("CREATE TABLE d%d (a e_old DEFAULT 'x', b e_old DEFAULT 'y', c e_old DEFAULT 'x');"):format(i)
      after[#after + 1] = ("CREATE TABLE d%d (a e_new DEFAULT 'x', b e_new DEFAULT 'y', c e_new DEFAULT 'x');"):format(i)
    end
    local a = write("order_a.sql", table.concat(before, "\n"))
    local b = write("order_b.sql", table.concat(after, "\n"))
    local texts = {}
    for _ = 1, 4 do
      local r = assert(proc.run { argv = { helper.dbhost, "schema", "diff", "--skip-verify", "--from", "file://" .. a,
        "--to", "file://" .. b, "--dev-url", URL }, timeout = 120 })
      assert.equal(0, r.status, r.stderr)
      assert.matches("DROP DEFAULT", r.stdout, 1, true)
      texts[r.stdout] = true
    end
    local n = 0
    for _ in pairs(texts) do n = n + 1 end
    assert.equal(1, n)
  end)

  it("runs schema diff and schema inspect as commands", function()
    local a, b = write("ca.sql", RICH), write("cb.sql", CHANGED)
    local r = assert(proc.run { argv = { helper.dbhost, "schema", "diff", "--from", "file://" .. a,
      "--to", "file://" .. b, "--dev-url", URL }, timeout = 120 })
    assert.equal(0, r.status, r.stderr)
    assert.matches("^%-%- atlas:txmode none\n\n", r.stdout)
    assert.matches("ALTER TYPE public.mood ADD VALUE 'meh' AFTER 'sad';", r.stdout, 1, true)
    assert.matches("RENAME COLUMN name TO nick", r.stderr, 1, true)
    r = assert(proc.run { argv = { helper.dbhost, "schema", "diff", "--from", "file://" .. a,
      "--to", "file://" .. a, "--dev-url", URL }, timeout = 120 })
    assert.equal(0, r.status, r.stderr)
    assert.equal("Schemas are synced, no changes to be made.\n", r.stdout)
    r = assert(proc.run { argv = { helper.dbhost, "schema", "inspect", "--url", "file://" .. a,
      "--dev-url", URL, "--format", "json" }, timeout = 120 })
    assert.equal(0, r.status, r.stderr)
    local doc = assert(json.decode(r.stdout))
    assert.equal("citext", doc.extensions.citext.name)
    r = assert(proc.run { argv = { helper.dbhost, "schema", "diff", "--from", "file://" .. a }, timeout = 30 })
    assert.equal(2, r.status)
  end)
end)
