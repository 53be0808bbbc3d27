-- dbhost.errors: the one place that locates a statement error (file:line:col in
-- characters) and the one JSON shape of an error.
local errors = require "dbhost.errors"
local sql = require "dbhost.sql"
local json = require "dbhost.json"

describe("errors.locate", function()
  local text = "CREATE TABLE \"été\" (id int);\n  SELECT 'ü',\n    nosuch;\n"
  local stmts = assert(sql.split(text))

  it("gives the statement's start without a position", function()
    assert.are.same({ 1, 1 }, { errors.locate(text, stmts[1]) })
    assert.are.same({ 2, 3 }, { errors.locate(text, stmts[2]) })
  end)

  it("counts characters, not bytes, on the statement's first line", function()
    -- position 21 of stmt 1 is "(" after "CREATE TABLE "été" "
    assert.are.same({ 1, 21 }, { errors.locate(text, stmts[1], 21) })
  end)

  it("follows the position onto later lines of the statement", function()
    -- stmt 2 is "SELECT 'ü',\n    nosuch;": "nosuch" is character 17
    assert.are.same({ 3, 5 }, { errors.locate(text, stmts[2], 17) })
  end)

  it("counts characters before the statement on its first line", function()
    local t = "SELECT 'é'; SELECT x;"
    local s = assert(sql.split(t))
    assert.are.same({ 1, 13 }, { errors.locate(t, s[2]) })
    assert.are.same({ 1, 20 }, { errors.locate(t, s[2], 8) })
  end)

  it("clamps a position past the statement's end", function()
    local t = "SELECT 1"
    local s = assert(sql.split(t))
    assert.are.same({ 1, 9 }, { errors.locate(t, s[1], 100) })
  end)

  it("takes a byte offset too (locate_byte), to the same place", function()
    -- "nosuch" is character 17 of stmt 2 and byte 18 ('ü' is two bytes)
    assert.are.same({ 3, 5 }, { errors.locate_byte(text, stmts[2], 18) })
    assert.are.same({ 1, 21 }, { errors.locate_byte(text, stmts[1], 23) })
    assert.are.same({ 2, 3 }, { errors.locate_byte(text, stmts[2]) })
  end)
end)

describe("errors.locate_byte from the statement's own line", function()
  -- sql.split gives each statement its line and byte column: the answer is the same as
  -- counting the file from its start (a copy without them), on tricky text too
  it("agrees with counting from the file's start", function()
    local text = "SELECT 'é'; SELECT 'ü', x;\r\n  /* c */ SELECT\n 'ß',\n y; SELECT '\255\254' ; SELECT 1;\n"
      .. "\tSELECT $$é\n$$;\n-- é\nCREATE TABLE \"été\" (id int);"
    local n = 0
    for _, st in ipairs(assert(sql.split(text))) do
      for _, off in ipairs({ 0, 1, 2, 7, #st.text, #st.text + 1, #st.text + 9 }) do
        local plain = { text = st.text, pos = st.pos }
        assert.are.same({ errors.locate_byte(text, plain, off) }, { errors.locate_byte(text, st, off) })
        n = n + 1
      end
    end
    assert.is_true(n >= 49)
  end)

  it("stays linear: every statement of a 1 MB file located at once", function()
    -- (counting from the file's start for each statement read ~2.5 GB here: minutes)
    local parts = {}
    for i = 1, 5000 do
      parts[i] = ("CREATE TABLE t_%05d (id bigint PRIMARY KEY, note text NOT NULL DEFAULT 'é', "
        .. "created_at timestamptz NOT NULL DEFAULT now(), payload jsonb, n integer);\n"):format(i)
    end
    local text = table.concat(parts)
    local stmts = assert(sql.split(text))
    local t0 = os.clock()
    local line, col
    for _, st in ipairs(stmts) do line, col = errors.locate_byte(text, st, 14) end
    assert.are.same({ 5000, 14 }, { line, col })
    assert.is_true(os.clock() - t0 < 5, "locating took " .. (os.clock() - t0) .. " s")
  end)
end)

describe("errors.document", function()
  it("has the same keys for every error, null when unknown", function()
    local doc = errors.document(errors.new(2, "bad %s", "flag"))
    assert.are.equal("bad flag", doc.error.message)
    for _, k in ipairs { "code", "file", "line", "column" } do assert.are.equal(json.null, doc.error[k]) end
    local located = errors.document(errors.at(1, { code = "42601", file = "m/1.sql", line = 2, column = 25 }, "x"))
    assert.are.same({ "42601", "m/1.sql", 2, 25 },
      { located.error.code, located.error.file, located.error.line, located.error.column })
  end)

  it("wraps plain errors and binding error tables", function()
    assert.are.equal("boom", errors.document("boom").error.message)
    local d = errors.document({ message = "relation x does not exist", sqlstate = "42P01" })
    assert.are.same({ "relation x does not exist", "42P01" }, { d.error.message, d.error.code })
  end)
end)

describe("cli.nearest", function()
  local cli = require "dbhost.cli"
  it("suggests the closest names", function()
    assert.are.same({ "apply" }, cli.nearest("aply", { "apply", "status", "help" }))
    assert.are.same({}, cli.nearest("zzzzzz", { "apply", "status" }))
  end)
  it("sees --format json before parsing", function()
    local spec = { options = { { "format", arg = "F" } } }
    assert.is_true(cli.wants_json(spec, { "--format", "json" }))
    assert.is_true(cli.wants_json(spec, { "--format=json" }))
    assert.is_false(cli.wants_json(spec, { "--", "--format=json" }))
    assert.is_false(cli.wants_json({ options = {} }, { "--format=json" }))
  end)
end)
