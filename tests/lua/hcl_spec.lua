-- hcl_spec.lua: dbhost.project.hcl parses and evaluates the HCL that atlas.hcl files use.
local helper = require "helper"
local hcl = require "dbhost.project.hcl"

local FIXTURES = helper.source_dir .. "/tests/lua/fixtures/hcl"

local function read(name)
  local f = assert(io.open(FIXTURES .. "/" .. name, "rb"))
  local text = f:read("a")
  f:close()
  return text
end

-- parse_eval(text, ctx) -> evaluated tree (fails the test on any error)
local function parse_eval(text, ctx, name)
  local body, msg = hcl.parse(text, name or "atlas.hcl")
  assert.is_nil(msg)
  assert.is_table(body)
  local tree, emsg = hcl.evaluate(body, ctx or {})
  assert.is_nil(emsg)
  return tree
end

-- value(expr_text, ctx) -> the value of one expression
local function value(expr, ctx)
  return parse_eval("x = " .. expr .. "\n", ctx).attrs.x
end

local function parse_error(text)
  local body, msg, code = hcl.parse(text, "atlas.hcl")
  assert.is_nil(body)
  assert.equal("EHCL", code)
  return msg
end

local function eval_error(text, ctx)
  local body, pmsg = hcl.parse(text, "atlas.hcl")
  assert.is_nil(pmsg)
  local tree, msg, code = hcl.evaluate(body, ctx or {})
  assert.is_nil(tree)
  assert.equal("EHCL", code)
  return msg
end

describe("dbhost.project.hcl on the atlas.md §6 examples", function()
  it("A: a minimal env with a migration block", function()
    local t = parse_eval(read("example_a.hcl"))
    assert.equal(1, #t.blocks)
    local env = t.blocks[1]
    assert.equal("env", env.type)
    assert.same({ "local" }, env.labels)
    assert.equal(1, env.line)
    assert.equal("migration", env.blocks[1].type)
    assert.same({}, env.blocks[1].labels)
    assert.same({ dir = "file://migrations" }, env.blocks[1].attrs)
    assert.same({ line = 3, col = 5 }, env.blocks[1].pos.dir)
  end)

  it("B: strings, a bare identifier and a nested block", function()
    local env = parse_eval(read("example_b.hcl")).blocks[1]
    assert.same({ url = "URL", dev = "sqlite://test?mode=memory&_fk=1", src = "./1.hcl" }, env.attrs)
    assert.same({ dir = "file://migrations", format = "atlas" }, env.blocks[1].attrs)
  end)

  it("C: a top-level lint block and an env lint block", function()
    local t = parse_eval(read("example_c.hcl"))
    local lint, env = t.blocks[1], t.blocks[2]
    assert.equal("lint", lint.type)
    assert.same({ latest = 1 }, lint.attrs)
    assert.equal("destructive", lint.blocks[1].type)
    assert.is_false(lint.blocks[1].attrs.error)
    assert.same({ "log_name" }, env.labels)
    assert.equal("{{ range .Files }}{{ println .Name }}{{ end }}", env.blocks[1].attrs.log)
    assert.same({ line = 8, col = 1 }, { line = env.line, col = env.col })
  end)

  it("D: a dynamic env with for_each, atlas.env and each.value", function()
    local ctx = { atlas = { env = "tenant" }, each = { key = "k", value = "sqlite://foo.db?_fk=1" } }
    local env = parse_eval(read("example_d.hcl"), ctx).blocks[1]
    assert.same({}, env.labels)
    assert.same({ "sqlite://bar.db?_fk=1", "sqlite://foo.db?_fk=1" }, env.attrs.for_each)
    assert.is_true(hcl.is_list(env.attrs.for_each))
    assert.equal("tenant", env.attrs.name)
    assert.equal("sqlite://foo.db?_fk=1", env.attrs.url)
    assert.equal("file://migrations", env.blocks[1].attrs.dir)
  end)

  it("E: variables with getenv() defaults and var references", function()
    local body = assert(hcl.parse(read("example_e.hcl"), "atlas.hcl"))
    local vars = hcl.blocks_of(body, "variable")
    assert.equal(2, #vars)
    local token = hcl.eval_expr(vars[2].body.by_name.default.expr,
                                { getenv = function(k) return k == "ATLAS_TOKEN" and "tok-123" or nil end })
    assert.equal("tok-123", token)
    local unset = hcl.eval_expr(vars[2].body.by_name.default.expr, { getenv = function() return nil end })
    assert.equal("", unset)
    local t = assert(hcl.evaluate(body, { var = { url = "postgres://x" }, getenv = function() return nil end }))
    assert.equal("string", t.blocks[1].attrs.type)
    assert.equal("mysql://root:pass@localhost:3306/", t.blocks[1].attrs.default)
    assert.equal("postgres://x", t.blocks[3].attrs.url)
  end)

  it("F: an external_schema data source referenced by an env", function()
    local ctx = { data = { external_schema = { orm = { url = "external_schema://orm" } } } }
    local t = parse_eval(read("example_f.hcl"), ctx)
    local data = t.blocks[1]
    assert.equal("data", data.type)
    assert.same({ "external_schema", "orm" }, data.labels)
    assert.same({ "npm", "run", "generate-schema" }, data.attrs.program)
    assert.equal("external_schema://orm", t.blocks[2].attrs.src)
    assert.equal("docker://postgres/15/dev?search_path=public", t.blocks[2].attrs.dev)
  end)
end)

describe("dbhost.project.hcl heredocs", function()
  local t = parse_eval(read("heredoc.hcl"), { ["local"] = { bar = "Bar" } })
  local normal, indent = t.blocks[2].attrs, t.blocks[3].attrs

  it("keeps the text of <<EOT as written, with an indented closing marker", function()
    assert.equal("Foo\nBar\n", normal.basic)
    assert.equal("    Foo\n      Bar\n", normal.indented)
    assert.equal("    NOT EOT\n", normal.marker_at_suffix)
  end)

  it("strips the common indentation in <<-EOT", function()
    assert.equal("Foo\n  Bar\nBaz\n", indent.indented)
    assert.equal("  Foo\nBar\n  Baz\n", indent.indented_less)
    assert.equal("Foo\nBar\nBaz\n", indent.interp)
    assert.equal("Foo\n\nBar\n", indent.blank_lines)
    assert.equal("SELECT 1;\n-- ${not_interpolated}\n", indent.sql)
  end)

  it("counts an interpolation at the start of a line as its indentation", function()
    local v = value("<<-EOT\n    Foo\n  ${x}\n    Baz\n  EOT", { variables = { x = "  Bar" } })
    assert.equal("  Foo\n  Bar\n  Baz\n", v)
  end)

  it("handles CRLF line ends and an empty heredoc", function()
    assert.equal("a\r\n", value("<<EOT\r\na\r\nEOT\r"))
    assert.equal("", value("<<EOT\nEOT"))
  end)

  it("continues with attributes after the closing marker", function()
    local tr = parse_eval("a = <<EOT\nx\nEOT\nb = 2\n")
    assert.equal("x\n", tr.attrs.a)
    assert.equal(2, tr.attrs.b)
  end)
end)

describe("dbhost.project.hcl expressions", function()
  it("reads numbers, booleans, null and strings with escapes", function()
    assert.equal(42, value("42"))
    assert.equal(2.5, value("2.5"))
    assert.equal(1000, value("1e3"))
    assert.is_true(value("true"))
    assert.equal(hcl.null, value("[null]")[1])
    assert.is_nil(parse_eval("x = null\n").attrs.x)  -- null attributes are unset
    assert.equal('a\n\t"\\é', value('"a\\n\\t\\"\\\\\\u00e9"'))
    assert.equal("${x} %{y}", value('"$${x} %%{y}"'))
  end)

  it("builds lists and objects with trailing commas, newlines and both key forms", function()
    assert.same({ 1, 2, 3 }, value("[1, 2,\n 3,\n]"))
    assert.same({ a = 1, b = "two", c = { true } }, value('{ a = 1, "b": "two"\n  c = [true] }'))
    assert.same({}, value("[]"))
  end)

  it("interpolates, and a lone interpolation keeps its type", function()
    local ctx = { var = { n = 3, s = "x", l = hcl.list({ "a" }) } }
    assert.equal("n=3 s=x", value('"n=${var.n} s=${var.s}"', ctx))
    assert.equal(3, value('"${var.n}"', ctx))
    assert.equal("ab", value('"a  ${~ "b" ~}  "', ctx))
    assert.equal("true-2.5", value('"${true}-${2.5}"'))
  end)

  it("follows references, attributes and 0-based indexes", function()
    local ctx = {
      var = { url = "postgres://u" },
      ["local"] = { list = hcl.list({ "a", "b" }), obj = { k = { "z" } } },
      data = { external_schema = { orm = { url = "external_schema://orm" } } },
      atlas = { env = "dev" },
      each = { value = "v" },
    }
    assert.equal("postgres://u", value("var.url", ctx))
    assert.equal("b", value("local.list[1]", ctx))
    assert.equal("b", value("local.list.1", ctx))
    assert.equal("z", value('local.obj["k"][0]', ctx))
    assert.equal("external_schema://orm", value("data.external_schema.orm.url", ctx))
    assert.equal("dev", value("atlas.env", ctx))
    assert.equal("v", value("each.value", ctx))
  end)

  it("turns bare identifiers into strings", function()
    assert.equal("atlas", value("atlas"))
    assert.equal("LINEAR_SKIP", value("LINEAR_SKIP"))
    assert.equal("golang-migrate", value("golang-migrate"))
  end)

  it("applies operators with HCL precedence", function()
    assert.equal(7, value("1 + 2 * 3"))
    assert.equal(9, value("(1 + 2) * 3"))
    assert.equal(2.5, value("5 / 2"))
    assert.equal(2, value("4 / 2"))
    assert.equal(1, value("7 % 3"))
    assert.equal(-3, value("-(1 + 2)"))
    assert.is_true(value("1 + 1 == 2 && !false"))
    assert.is_true(value("false || 1 != 2"))
    assert.is_true(value("[1, {a = 2}] == [1, {a = 2}]"))
    assert.is_false(value('"1" == 1'))
    assert.is_true(value("2 >= 2 && 1 < 2"))
    assert.equal(6, value('"5" + 1'))
  end)

  it("evaluates the conditional lazily", function()
    assert.equal("yes", value('1 < 2 ? "yes" : nope()'))
    assert.equal("no", value('false ? nope() : "no"'))
    assert.equal("c", value('false ? "a" : false ? "b" : "c"'))
  end)

  it("calls the standard functions", function()
    local ctx = { getenv = function(k) return ({ HOST = "db.local" })[k] end }
    assert.equal("db.local", value('getenv("HOST")', ctx))
    assert.equal("", value('getenv("UNSET")', ctx))
    assert.equal("a-7-x-\"q\"-100%", value('format("%s-%d-%v-%q-100%%", "a", 7, "x", "q")'))
    assert.equal("a,b,c", value('join(",", ["a", "b"], ["c"])'))
    assert.same({ "a", "b", "" }, value('split(",", "a,b,")'))
    assert.equal("abc", value('lower("ABC")'))
    assert.equal("ABC", value('upper("abc")'))
    assert.equal("x y", value('trimspace("  x y \\n")'))
    assert.equal("a-b-c", value('replace("a.b.c", ".", "-")'))
    assert.equal("p%40ss+w%2Fo%3Ard", value('urlescape("p@ss w/o:rd")'))
    assert.same({ "a", "b" }, value('toset(["b", "a", "b"])'))
    assert.equal(3, value('length([1, 2, 3])'))
    assert.equal('{"a":[1,true,null],"b":"x"}', value('jsonencode({b = "x", a = [1, true, null]})'))
    assert.equal("postgres://u@h/db?search_path=public&sslmode=disable",
                 value('urlqueryset("postgres://u@h/db?sslmode=disable", "search_path", "public")'))
    assert.equal("postgres://app:s%3Acret@h/db", value('urluserinfo("postgres://x@h/db", "app", "s:cret")'))
    assert.equal("postgres://h/other", value('urlsetpath("postgres://h/db", "other")'))
    assert.equal("fallback", value('try(var.missing, "fallback")', { var = {} }))
    assert.equal("a-b", value('format("%s-%s", ["a", "b"]...)'))
    assert.equal("list(string)", value("list(string)"))
  end)

  it("reads files relative to ctx.dir with file()", function()
    local v = value('file("example_a.hcl")', { dir = FIXTURES })
    assert.equal(read("example_a.hcl"), v)
  end)

  it("lets ctx.functions add functions", function()
    local ctx = { functions = { twice = function(args) return args[1] * 2 end } }
    assert.equal(8, value("twice(4)", ctx))
  end)

  it("ignores all three comment styles", function()
    local t = parse_eval("# a\n// b\n/* c\n d */ x = 1 /* e */ // f\ny = 2 # g\n")
    assert.same({ x = 1, y = 2 }, t.attrs)
  end)

  it("accepts a one-line block and unlabelled blocks", function()
    local t = parse_eval('migration { dir = "d" }\nlint {\n}\n')
    assert.equal("d", t.blocks[1].attrs.dir)
    assert.equal("lint", t.blocks[2].type)
  end)
end)

describe("dbhost.project.hcl errors", function()
  -- { input, exact message } for syntax errors
  local cases = {
    { 'env "local" {\n  url = "postgres://x\n}\n',
      "atlas.hcl:2:9: unterminated string (a quoted string ends on the line it starts; use a heredoc for more lines)" },
    { 'env "local" {\n  url = "x"\n',
      'atlas.hcl:3:1: expected "}" to close block "env" opened at 1:1, found end of file' },
    { 'env "local" {\n  migration dir = "x"\n}\n',
      'atlas.hcl:2:13: expected "=" or "{" after "migration", found "dir"' },
    { 'env "local" {\n  url "x"\n}\n',
      'atlas.hcl:2:10: expected "{" after the labels of block "url" (for an attribute, write url = "..."), found newline' },
    { 'x = "a${}b"\n', 'atlas.hcl:1:9: empty interpolation: expected an expression after "${"' },
    { 'x = "a${var.x b"\n',
      'atlas.hcl:1:15: expected "}" to close the interpolation opened at 1:7, found "b"' },
    { 'x = "${1 +}"\n', 'atlas.hcl:1:11: expected an expression, found "}"' },
    { 'x = 1\nx = 2\n', 'atlas.hcl:2:1: duplicate attribute "x" (first set on line 1)' },
    { 'x = [1, 2\ny = 3\n', 'atlas.hcl:2:1: expected "," or "]" in the list opened at 1:5, found "y"' },
    { 'x = {a = 1 b = 2}\n', 'atlas.hcl:1:12: expected ",", newline or "}" after the object item, found "b"' },
    { 'x = {a = 1, a = 2}\n', 'atlas.hcl:1:13: duplicate object key "a"' },
    { 'x = <<EOT\nabc\n', 'atlas.hcl:1:5: unterminated heredoc: no line "EOT" closes it' },
    { 'x = <<EOT abc\nEOT\n', 'atlas.hcl:1:10: heredoc marker "EOT" must be followed by a newline' },
    { 'x = 1 y = 2\n', 'atlas.hcl:1:7: expected newline after the value of "x", found "y"' },
    { 'x = @\n', 'atlas.hcl:1:5: unexpected character "@"' },
    { '}\n', 'atlas.hcl:1:1: unexpected "}" (no block is open)' },
    { 'x = "\\q"\n', 'atlas.hcl:1:6: invalid escape sequence "\\q"' },
    { '/* never closed\n', 'atlas.hcl:1:1: unterminated comment (missing "*/")' },
    { 'x = "%{ if true }"\n',
      'atlas.hcl:1:6: template directives (%{ ... }) are not supported; write %%{ for a literal %{' },
    { 'x = a ? b\n', 'atlas.hcl:1:10: expected ":" in the conditional expression, found newline' },
    { 'x = f(1 2)\n', 'atlas.hcl:1:9: expected "," or ")" in the call to f(), found "2"' },
    { 'x = [for a in b : a]\n', "atlas.hcl:1:6: for expressions are not supported" },
    { 'env "${x}" {}\n', "atlas.hcl:1:5: block labels cannot contain interpolation" },
    { 'x = "é${ 1 +}"\n', 'atlas.hcl:1:13: expected an expression, found "}"' },
  }
  for _, c in ipairs(cases) do
    it("reports " .. c[2]:gsub("^atlas.hcl:%d+:%d+: ", ""), function()
      assert.equal(c[2], parse_error(c[1]))
    end)
  end

  -- evaluation errors
  local ecases = {
    { 'x = nope(1)\n', 'atlas.hcl:1:5: call to unknown function "nope"' },
    { 'env "a" {\n  url = var.nope\n}\n', 'atlas.hcl:2:9: unknown variable "var.nope"' },
    { 'x = foo.bar\n', 'atlas.hcl:1:5: unknown variable "foo.bar"' },
    { 'x = data.external_schema.nope.url\n', 'atlas.hcl:1:5: unknown variable "data.external_schema.nope"' },
    { 'x = "${local.s.k}"\n', 'atlas.hcl:1:8: cannot read "k" of a string (local.s)' },
    { 'x = 1 + "a"\n', "atlas.hcl:1:9: the right operand of + must be a number, got string" },
    { 'x = "a${[1]}"\n', "atlas.hcl:1:7: cannot interpolate a list into a string" },
    { 'x = format("%s %s", "a")\n', "atlas.hcl:1:5: format(): not enough arguments for %s" },
    { 'x = [1][3]\n', "atlas.hcl:1:8: index 3 out of range for a list of 1 elements" },
    { 'x = true && 1\n', "atlas.hcl:1:13: the right operand of && must be a bool, got number" },
    { 'x = lower()\n', "atlas.hcl:1:5: lower(): expects 1 argument, got 0" },
    { 'x = 1 / 0\n', "atlas.hcl:1:7: division by zero" },
  }
  for _, c in ipairs(ecases) do
    it("reports " .. c[2]:gsub("^atlas.hcl:%d+:%d+: ", ""), function()
      assert.equal(c[2], eval_error(c[1], { var = { url = "u" }, ["local"] = { s = "s" },
                                            data = { external_schema = {} } }))
    end)
  end

  it("stops deep nesting with an error instead of overflowing", function()
    local deep = {
      "x = " .. ("["):rep(500) .. ("]"):rep(500),
      "x = " .. ("("):rep(500) .. "1" .. (")"):rep(500),
      "x = " .. ("!"):rep(5000) .. "true",
      "x = " .. ('"${'):rep(500),
      ("a {\n"):rep(500),
      "x = " .. ("{a = "):rep(500),
    }
    for _, text in ipairs(deep) do
      assert.matches("^atlas.hcl:%d+:%d+: nesting too deep %(more than 200 levels%)$", parse_error(text))
    end
    -- 150 levels are fine
    assert.equal(1, value(("("):rep(150) .. "1" .. (")"):rep(150)))
  end)

  it("parses long operator chains without recursion limits", function()
    assert.equal(20001, value("1" .. (" + 1"):rep(20000)))
  end)

  it("reports positions in characters, not bytes", function()
    assert.equal('atlas.hcl:1:9: unexpected character "@"', parse_error('x = "é" @\n'))
  end)

  it("raises on misuse rather than returning", function()
    assert.has_error(function() hcl.parse(nil, "x") end)
  end)
end)

describe("dbhost.project.hcl namespaces", function()
  it("reads a namespace alone as a word, and indexes it with []", function()
    local ctx = { atlas = { env = "dev" }, var = { url = "u" }, variables = { custom = { k = 1 } } }
    assert.equal("atlas", value("atlas", ctx))
    assert.equal("u", value('var["url"]', ctx))
    assert.same({ k = 1 }, value("custom", ctx))
    assert.equal(1, value("custom.k", ctx))
  end)
end)
