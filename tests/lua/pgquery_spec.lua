-- pgquery_spec.lua: the dbhost.pgquery binding (libpg_query) as scripts see it.
local pgquery = require "dbhost.pgquery"
local cjson = require "cjson"

describe("pgquery.parse", function()
  it("gives the JSON parse tree of a statement", function()
    local json = assert(pgquery.parse("ALTER TABLE s.t ADD COLUMN c int NOT NULL"))
    local tree = cjson.decode(json)
    assert.are.equal(150001, tree.version)
    local alter = tree.stmts[1].stmt.AlterTableStmt
    assert.are.same({ "s", "t" }, { alter.relation.schemaname, alter.relation.relname })
    local cmd = alter.cmds[1].AlterTableCmd
    assert.are.equal("AT_AddColumn", cmd.subtype)
    assert.are.equal("c", cmd.def.ColumnDef.colname)
  end)

  it("reports errors with a character position and a byte offset", function()
    local ok, msg, code, pos, byte = pgquery.parse("select 'é' from from")
    assert.is_nil(ok)
    assert.are.same({ 'syntax error at or near "from"', "ESYNTAX", 17, 18 }, { msg, code, pos, byte })
    -- end of input: the position just past the text
    ok, msg, code, pos, byte = pgquery.parse("select (1")
    assert.is_nil(ok)
    assert.are.same({ "syntax error at end of input", "ESYNTAX", 10, 10 }, { msg, code, pos, byte })
  end)

  it("counts invalid UTF-8 as PostgreSQL does (regression: fuzz_pgquery)", function()
    local text = "ALTER TABLE t ADd  DEFAULT\160" .. "0"
    local ok, _, code, pos, byte = pgquery.parse(text)
    assert.is_nil(ok)
    assert.are.equal("ESYNTAX", code)
    assert.is_true(pos >= 1 and pos <= #text + 1)
    assert.is_true(byte >= 1 and byte <= #text + 1)
  end)

  it("refuses a NUL byte with its position", function()
    assert.are.same({ nil, "statement contains a NUL byte", "ESYNTAX", 5, 6 },
      { pgquery.parse("séle\0ct") })
  end)
end)

describe("pgquery.fingerprint and normalize", function()
  it("fingerprints ignore constants and layout", function()
    local a = assert(pgquery.fingerprint("SELECT * FROM t WHERE a = 1"))
    local b = assert(pgquery.fingerprint("select *\n  from t where a = 42"))
    assert.are.equal(a, b)
    assert.are.equal(16, #a)
    assert.are_not.equal(a, assert(pgquery.fingerprint("SELECT * FROM u WHERE a = 1")))
  end)

  it("normalizes constants to parameters", function()
    assert.are.equal("SELECT $1 FROM t WHERE a = $2", assert(pgquery.normalize("SELECT 'x' FROM t WHERE a = 2")))
    assert.are.equal("ESYNTAX", select(3, pgquery.normalize("SELEC 1")))
  end)

  it("knows its grammar's version", function()
    assert.are.equal("15", pgquery.pg_version:match("^(%d+)"))
    assert.are.equal(15, pgquery.pg_version_num // 10000)
  end)
end)
