-- sql_spec.lua: the dbhost.sql module as scripts see it.
-- Golden files: tests/lua/fixtures/sql/NAME.sql and NAME.golden (statement
-- texts joined by "\n-- end --\n", the format of Atlas's testdata/lex).
local helper = require "helper"
local sql = require "dbhost.sql"
local fs = require "dbhost.fs"

local fixtures = helper.source_dir .. "/tests/lua/fixtures/sql"

local function read(path)
  local f = assert(io.open(path, "rb"))
  local s = f:read("a")
  f:close()
  return s
end

local function texts(stmts)
  local t = {}
  for i, s in ipairs(stmts) do t[i] = s.text end
  return t
end

describe("sql.split", function()
  it("returns statements with text, position and comments", function()
    local src = "-- create\nCREATE TABLE t (id int);\r\n\r\n  INSERT INTO t VALUES (1);"
    local st = assert(sql.split(src, "1_init.sql"))
    assert.are.equal(2, #st)
    assert.are.same({ text = "CREATE TABLE t (id int);", pos = 10, line = 2, col = 1,
                      comments = { "-- create" } }, st[1])
    assert.are.same({ text = "INSERT INTO t VALUES (1);", pos = 40, line = 4, col = 3,
                      comments = {} }, st[2])
    assert.is_nil(st.delimiter)
    assert.are.equal("INSERT", src:sub(st[2].pos + 1, st[2].pos + 6))
  end)

  it("keeps ; for the default delimiter and strips a custom one", function()
    assert.are.same({ "SELECT 1;", "SELECT 2;" }, texts(assert(sql.split("SELECT 1; SELECT 2;"))))
    local st = assert(sql.split("-- atlas:delimiter \\nGO\n\nSELECT 1\nGO\nSELECT 2\nGO\n"))
    assert.are.same({ "SELECT 1", "SELECT 2" }, texts(st))
    assert.are.equal("\nGO", st.delimiter)
    assert.are.equal(3, st[1].line)
  end)

  it("splits the nasty cases like PostgreSQL", function()
    local cases = {
      { "SELECT 'a;b', \"c;d\", $$e;f$$, $fn$ $$ ; $$ $fn$; SELECT 2;",
        { "SELECT 'a;b', \"c;d\", $$e;f$$, $fn$ $$ ; $$ $fn$;", "SELECT 2;" } },
      { "SELECT $1, $2; SELECT 3;", { "SELECT $1, $2;", "SELECT 3;" } },
      { "SELECT E'it\\'s; x'; SELECT 2;", { "SELECT E'it\\'s; x';", "SELECT 2;" } },
      { "SELECT 'it''s;'; SELECT U&\"a;\";", { "SELECT 'it''s;';", "SELECT U&\"a;\";" } },
      { "SELECT /* a /* b; */ c; */ 1; SELECT 2;", { "SELECT /* a /* b; */ c; */ 1;", "SELECT 2;" } },
      { "SELECT 1; -- trailing, it's", { "SELECT 1;", "-- trailing, it's" } },
      { "BEGIN;\nSELECT 1;\nCOMMIT;", { "BEGIN;", "SELECT 1;", "COMMIT;" } },
      { "CREATE FUNCTION f() RETURNS int LANGUAGE SQL BEGIN ATOMIC SELECT 1; SELECT 2; END; SELECT 3;",
        { "CREATE FUNCTION f() RETURNS int LANGUAGE SQL BEGIN ATOMIC SELECT 1; SELECT 2; END;", "SELECT 3;" } },
      { "DO $$ BEGIN PERFORM 1; END $$;", { "DO $$ BEGIN PERFORM 1; END $$;" } },
      { "CREATE RULE r AS ON DELETE TO t DO (DELETE FROM a; DELETE FROM b); SELECT 1;",
        { "CREATE RULE r AS ON DELETE TO t DO (DELETE FROM a; DELETE FROM b);", "SELECT 1;" } },
      { "SELECT 1;;", { "SELECT 1;", ";" } },
      { "", {} },
      { "-- only a comment\n", {} },
    }
    for _, c in ipairs(cases) do
      assert.are.same(c[2], texts(assert(sql.split(c[1]))), c[1])
    end
  end)

  it("reports syntax errors at the opening token", function()
    local cases = {
      { "SELECT 1;\nSELECT 'x", "m.sql:2:8: unclosed quote \"'\"" },
      { "SELECT \"x", "m.sql:1:8: unclosed quote \"\\\"\"" },
      { "SELECT $body$ x", "m.sql:1:8: unclosed dollar-quoted string $body$" },
      { "SELECT 1 /* x", "m.sql:1:10: unclosed comment" },
      { "SELECT 1)", "m.sql:1:9: unexpected ')'" },
      { "SELECT (1", "m.sql:1:8: unclosed '('" },
      { "-- atlas:delimiter", "m.sql:1:1: empty delimiter" },
    }
    for _, c in ipairs(cases) do
      local ok, msg, code = sql.split(c[1], "m.sql")
      assert.is_nil(ok)
      assert.are.equal(c[2], msg)
      assert.are.equal("ESYNTAX", code)
    end
    local _, msg = sql.split("x'")
    assert.are.equal("1:2: unclosed quote \"'\"", msg)
  end)

  it("matches the golden files", function()
    local n = 0
    for _, name in ipairs(assert(fs.list(fixtures))) do
      local base = name:match("^(.*)%.sql$")
      if base then
        local st = assert(sql.split(read(fixtures .. "/" .. name), name))
        assert.are.equal(read(fixtures .. "/" .. base .. ".golden"), table.concat(texts(st), "\n-- end --\n"), name)
        n = n + 1
      end
    end
    assert.is_true(n >= 11)
  end)

  it("splits every Atlas vector file", function()
    local root = helper.vectors .. "/atlas-sum"
    local n = 0
    local function walk(dir)
      for _, name in ipairs(assert(fs.list(dir))) do
        local path = dir .. "/" .. name
        local st = assert(fs.stat(path))
        if st.type == "directory" then
          walk(path)
        elseif name:match("%.sql$") then
          local stmts, err = sql.split(read(path), path)
          assert(stmts, err)
          assert.is_true(#stmts >= 1, path)
          n = n + 1
        end
      end
    end
    walk(root)
    assert.is_true(n >= 15)
    local st = assert(sql.split(read(root .. "/postgres-initial/1_initial.sql")))
    assert.are.same({ 'CREATE SCHEMA IF NOT EXISTS "bc_test";',
                      'CREATE TABLE "bc_test"."bc_tbl" ("col" INTEGER NULL);' }, texts(st))
    st = assert(sql.split(read(root .. "/broken-stmt/3.sql")))
    assert.are.same({ "CREATE TABLE `pets` (`id` int NOT NULL PRIMARY KEY);",
                      "THIS LINE ADDS A SYNTAX ERROR;" }, texts(st))
  end)
end)

describe("sql.directives", function()
  it("reads the file-directive block", function()
    local d = assert(sql.directives("-- atlas:txmode none\n-- atlas:nolint DS102 destructive\n"
      .. "-- atlas:checkpoint v1\n\nSELECT 1;", "2_x.sql"))
    assert.are.equal("none", d.txmode)
    assert.are.same({ "DS102", "destructive" }, d.nolint)
    assert.are.equal("v1", d.checkpoint)
    assert.are.same({ name = "checkpoint", arg = "v1", line = 3 }, d.list[3])
    assert.are.equal(3, #d.list)
  end)

  it("needs a blank line after the block, LF only, like Atlas", function()
    assert.is_nil(assert(sql.directives("-- atlas:txmode none\nSELECT 1;")).txmode)
    assert.is_nil(assert(sql.directives("-- atlas:txmode none\r\n\r\nSELECT 1;")).txmode)
    assert.are.equal("none", assert(sql.directives("-- atlas:txmode none\n \t\nSELECT 1;")).txmode)
    assert.is_nil(assert(sql.directives("-- head\n\n-- atlas:txmode none\n\nSELECT 1;")).txmode)
    assert.are.equal("file", assert(sql.directives("#atlas:txmode file\n\nSELECT 1;")).txmode)
    -- a file of nothing but comments
    assert.is_true(assert(sql.directives("-- atlas:checkpoint")).checkpoint)
    assert.is_true(assert(sql.directives("-- atlas:nolint\n")).nolint)
  end)

  it("fails with Atlas's txmode messages", function()
    local cases = {
      { "-- atlas:txmode none\n-- atlas:txmode file\n\nSELECT 1;",
        'multiple txmode values found in file "1_a.sql": ["none" "file"]' },
      { "-- atlas:txmode all\n\nSELECT 1;",
        'txmode "all" is not allowed in file directive "1_a.sql". Use "file" instead' },
      { "-- atlas:txmode statement\n\nSELECT 1;",
        'unknown txmode "statement" found in file directive "1_a.sql"' },
      { "-- atlas:txmode FILE\n\n", 'unknown txmode "FILE" found in file directive "1_a.sql"' },
      { "-- atlas:txmode file extra\n\n", 'unknown txmode "file extra" found in file directive "1_a.sql"' },
      { "-- atlas:txmode\n\n", 'unknown txmode "" found in file directive "1_a.sql"' },
    }
    for _, c in ipairs(cases) do
      local ok, msg, code = sql.directives(c[1], "1_a.sql")
      assert.is_nil(ok)
      assert.are.equal(c[2], msg)
      assert.are.equal("EDIRECTIVE", code)
    end
  end)

  it("reads atlas:sum and atlas:delimiter from line 1", function()
    assert.are.equal("ignore", sql.directives("-- atlas:sum ignore\nSELECT 1;").sum)
    assert.are.equal("ignore\r", sql.directives("-- atlas:sum ignore\r\nSELECT 1;").sum)
    assert.are.equal("", sql.directives("//atlas:sum\nfoo").sum)
    assert.is_nil(sql.directives("SELECT 1;\n-- atlas:sum ignore").sum)
    local d = sql.directives("-- head\n-- atlas:sum ignore\n-- atlas:delimiter GO\n\nx")
    assert.is_nil(d.sum)  -- not line 1
    assert.is_nil(d.delimiter)
    assert.are.equal(2, #d.list)
    assert.are.equal("\n\n", sql.directives("-- atlas:delimiter \\n\\n\n\nx").delimiter)
    assert.is_nil(sql.directives("--atlas:delimiter GO\nx").delimiter)  -- prefix must be "-- "
  end)

  it("reads the Atlas vectors", function()
    local root = helper.vectors .. "/atlas-sum"
    assert.are.equal("none", sql.directives(read(root .. "/txmode-none/20220925094021_second.sql")).txmode)
    assert.is_nil(sql.directives(read(root .. "/txmode-none/20220925092817_initial.sql")).txmode)
    assert.is_true(sql.directives(read(root .. "/partial-checkpoint/3_checkpoint.sql")).checkpoint)
    assert.is_nil(sql.directives(read(root .. "/partial-checkpoint/4_fourth.sql")).checkpoint)
  end)
end)

describe("sql.stmt_directives", function()
  it("reads the comments attached to a statement", function()
    local st = assert(sql.split("--atlas:nolint\n-- atlas:nolint destructive\ncmd5;\n\n"
      .. "/*atlas:nolint DS101*/\n/* atlas:lint not */\n/*\natlas:lint not\n*/\ncmd6;\n"
      .. "-- atlas:nolint DS102 DS103\ncmd7;\n-- atlas:nolint\n\ncmd8;"))
    assert.are.equal(4, #st)
    assert.is_true(sql.stmt_directives(st[1]).nolint)
    local d = sql.stmt_directives(st[2])
    assert.are.same({ "DS101" }, d.nolint)
    assert.is_nil(d.lint)  -- "/* atlas:" is no directive: the prefix must be "/*"
    assert.are.same({ { name = "nolint", arg = "DS101" } }, d.list)
    assert.are.same({ "DS102", "DS103" }, sql.stmt_directives(st[3]).nolint)
    assert.is_nil(sql.stmt_directives(st[4]).nolint)  -- the blank line detached it
    assert.are.same({ "X1" }, sql.stmt_directives({ "-- atlas:nolint X1" }).nolint)
  end)
end)

describe("sql.quote_ident and sql.quote_literal", function()
  it("double the quote character", function()
    assert.are.equal('"my ""table"""', sql.quote_ident('my "table"'))
    assert.are.equal("'it''s \\ fine'", sql.quote_literal("it's \\ fine"))
    assert.are.equal("''", sql.quote_literal(""))
  end)

  it("reject NUL bytes", function()
    assert.has_error(function() sql.quote_ident("a\0b") end)
    local ok, err = pcall(sql.quote_literal, "a\0b")
    assert.is_false(ok)
    assert.is_truthy(tostring(err):find("NUL", 1, true))
  end)
end)
