-- yaml_spec.lua: dbhost.yaml (load, locate, set_scalar) on CloudFormation
-- templates, and dbhost.cfn's MigrationHash helpers on real files.
local helper = require("helper")
local yaml = require("dbhost.yaml")
local cfn = require("dbhost.cfn")
local fs = require("dbhost.fs")

local FIXTURES = helper.source_dir .. "/tests/lua/fixtures/yaml/"
local PATH = "Resources.DBSchemaMigration.Properties.MigrationHash"
local HASH = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
local ODD = [[it's "odd" #1]]      -- needs quoting when plain
local DIGITS = "20240101"          -- would read as a number when plain

-- What each fixture holds at PATH: its style, tag, value and source bytes.
local expected = {
  ["plain-hash.yaml"] = { style = "plain", value = "5d41402abc4b2a76b9719d911017c592" },
  ["anchors.yaml"] = { style = "single",
    value = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855" },
  ["flow.yaml"] = { style = "double", value = ("0"):rep(40), flow = true },
  ["intrinsics.yaml"] = { style = "double", value = "sha256:9b74c9897bac770ffc029102a200c5de" },
  ["crlf.yaml"] = { style = "plain", value = "abc123" },
  ["tagged-hash.yaml"] = { style = "double", tag = "!Sub", anchor = "hash",
    value = '${Prefix}:00aa\u{ff}  "odd" \\ value',
    source = [["${Prefix}:00aa\u00ff  \"odd\" \\ value"]] },
  ["empty-hash.yaml"] = { style = "plain", value = "", source = "" },
  ["multiline-quoted.yaml"] = { style = "single",
    value = "a folded single-quoted value that it's split over lines",
    source = "'a folded\n        single-quoted value that it''s\n        split over lines'" },
}

-- How set_scalar must write each new value, by the scalar's style.
local rendered = {
  plain = { [HASH] = HASH, [ODD] = [["it's \"odd\" #1"]], [DIGITS] = '"20240101"' },
  single = { [HASH] = "'" .. HASH .. "'", [ODD] = [['it''s "odd" #1']], [DIGITS] = "'20240101'" },
  double = { [HASH] = '"' .. HASH .. '"', [ODD] = [["it's \"odd\" #1"]], [DIGITS] = '"20240101"' },
}

local function read(path)
  return assert(fs.read(path))
end

local function fixtures()
  local names = {}
  for _, name in ipairs(assert(fs.list(FIXTURES))) do
    if name:match("%.yaml$") then
      names[#names + 1] = name
    end
  end
  return names
end

-- The value at PATH in a loaded template, through a tag wrapper if any.
local function loaded_hash(doc)
  local v = doc.Resources.DBSchemaMigration.Properties.MigrationHash
  if type(v) == "table" then
    return v.value, v.tag
  end
  return v
end

describe("dbhost.yaml fixtures", function()
  it("has at least 6 templates, each with expectations", function()
    local names = fixtures()
    assert.is_true(#names >= 6)
    for _, name in ipairs(names) do
      assert.is_table(expected[name], name .. " has no entry in `expected`")
    end
  end)

  for _, name in ipairs(fixtures()) do
    local want = expected[name] or {}
    describe(name, function()
      local text = read(FIXTURES .. name)

      it("loads, with the hash as a string", function()
        local doc = assert(yaml.load(text, name))
        local v, tag = loaded_hash(doc)
        assert.are.equal(want.value, v)
        assert.are.equal(want.tag, tag)
      end)

      it("locates the hash with its style and source bytes", function()
        local loc = assert(yaml.locate(text, PATH, name))
        assert.are.equal(want.style, loc.style)
        assert.are.equal(want.value, loc.value)
        assert.are.equal(want.tag, loc.tag)
        assert.are.equal(want.anchor, loc.anchor)
        assert.are.equal(want.flow or false, loc.flow)
        local source = want.source
        if not source then
          source = ({ plain = want.value, single = "'" .. want.value .. "'",
                      double = '"' .. want.value .. '"' })[want.style]
        end
        assert.are.equal(source, text:sub(loc.start, loc.stop))
        -- line and col point at start
        local line, col = 1, 1
        for pos = 1, loc.start - 1 do
          local c = text:sub(pos, pos)
          if c == "\n" then line, col = line + 1, 1
          elseif not c:match("[\128-\191]") and c ~= "\r" then col = col + 1 end
        end
        if text:sub(1, 3) == "\239\187\191" then col = col - (line == 1 and 1 or 0) end
        assert.are.same({ line, col }, { loc.line, loc.col })
      end)

      for _, new in ipairs({ HASH, ODD, DIGITS }) do
        it("set_scalar(" .. new .. ") changes only the scalar's bytes", function()
          local loc = assert(yaml.locate(text, PATH, name))
          local out = assert(yaml.set_scalar(text, PATH, new, name))
          local prefix, suffix = text:sub(1, loc.start - 1), text:sub(loc.stop + 1)
          assert.are.equal(prefix, out:sub(1, #prefix))
          assert.are.equal(suffix, out:sub(#out - #suffix + 1))
          local middle = out:sub(#prefix + 1, #out - #suffix)
          local style = want.style
          if want.value == "" then
            middle = middle:gsub("^ ", "")      -- `key:` becomes `key: value`
          end
          assert.are.equal(rendered[style][new], middle)
          -- it reads back: same value, same place, tag kept
          local again = assert(yaml.locate(out, PATH, name))
          assert.are.equal(new, again.value)
          assert.are.equal(want.tag, again.tag)
          assert.are.equal(loaded_hash(assert(yaml.load(out, name))), new)
          -- line endings untouched
          local _, crlf_before = text:gsub("\r\n", "")
          local _, crlf_after = out:gsub("\r\n", "")
          assert.are.equal(crlf_before, crlf_after)
        end)
      end

      it("setting the current value returns the text unchanged", function()
        assert.are.equal(text, yaml.set_scalar(text, PATH, want.value, name))
      end)

      it("cfn reads and rewrites the file, atomically and only on change", function()
        local dir = assert(fs.mkdtemp())
        finally(function() fs.rmtree(dir) end)
        local file = dir .. "/" .. name
        assert(fs.write(file, text))
        local value, loc = cfn.read_migration_hash(file)
        assert.are.equal(want.value, value)
        assert.are.equal(want.style, loc.style)
        assert.are.same({ true, true }, { cfn.set_migration_hash(file, HASH) })
        assert.are.equal(assert(yaml.set_scalar(text, PATH, HASH)), read(file))
        assert.are.equal(HASH, (cfn.read_migration_hash(file)))
        assert.are.same({ true, false }, { cfn.set_migration_hash(file, HASH) })
        assert.are.same({ name }, assert(fs.list(dir)))
      end)
    end)
  end
end)

describe("dbhost.yaml.load", function()
  it("keeps every scalar a string and wraps short-form tags", function()
    local doc = assert(yaml.load([[
a: true
b: 42
c: ~
d: !Ref Bucket
e: !GetAtt Fn.Arn
f: !If [IsProd, 1, !Ref "AWS::NoValue"]
g: !!str 7
h: ! x
]]))
    assert.are.same({
      a = "true", b = "42", c = "~",
      d = { tag = "!Ref", value = "Bucket" },
      e = { tag = "!GetAtt", value = "Fn.Arn" },
      f = { tag = "!If", value = { "IsProd", "1", { tag = "!Ref", value = "AWS::NoValue" } } },
      g = "7", h = "x",
    }, doc)
  end)

  it("resolves aliases to the anchored value itself", function()
    local doc = assert(yaml.load("a: &t [x, y]\nb: *t\nc: &s str\nd: *s\n"))
    assert.are.equal(doc.a, doc.b)
    assert.are.equal("str", doc.d)
  end)

  it("reports errors as FILE:LINE:COL with code EYAML", function()
    local cases = {
      { "a: [b\n", "t.yaml:2:1: did not find expected ',' or ']' (while parsing a flow "
        .. "sequence that started at line 1, column 4)" },
      { "a: b\n---\nc: d\n", "t.yaml:2:1: a second YAML document; expected one document per file" },
      { "", "t.yaml:1:1: no YAML document" },
      { "a: b\na: c\n", 't.yaml:2:1: duplicate key "a"' },
      { "a: *nope\n", "t.yaml:1:4: undefined alias *nope" },
      { "a: b\nc: \255\n", "t.yaml:2:4: invalid leading UTF-8 octet (byte 0xFF)" },
      { "[a]: b\n", "t.yaml:1:1: mapping keys must be scalars, not a sequence" },
      { ("["):rep(500), "t.yaml:1:402: nested deeper than 400 levels" },
    }
    for _, c in ipairs(cases) do
      assert.are.same({ nil, c[2], "EYAML" }, { yaml.load(c[1], "t.yaml") })
    end
  end)
end)

describe("dbhost.yaml.locate and set_scalar on bad input", function()
  local function check(text, msg, code)
    assert.are.same({ nil, msg, code }, { yaml.locate(text, PATH, "bad.yaml") })
    assert.are.same({ nil, msg, code }, { yaml.set_scalar(text, PATH, HASH, "bad.yaml") })
  end

  it("names the missing key (ENOPATH)", function()
    check("Resources:\n  DBSchemaMigration:\n    Type: Custom::X\n",
      'bad.yaml: no key "Properties" under Resources.DBSchemaMigration (line 2)', "ENOPATH")
    check("AWSTemplateFormatVersion: x\n",
      'bad.yaml: no key "Resources" under the document root (line 1)', "ENOPATH")
    check("Resources:\n  DBSchemaMigration: hello\n",
      'bad.yaml: no key "Properties" under Resources.DBSchemaMigration (line 2): '
      .. "Resources.DBSchemaMigration is a scalar", "ENOPATH")
  end)

  it("refuses mappings, sequences and aliases (ENOTSCALAR)", function()
    check("Resources:\n  DBSchemaMigration:\n    Properties:\n      MigrationHash: [a]\n",
      "bad.yaml:4:22: Resources.DBSchemaMigration.Properties.MigrationHash is a sequence, "
      .. "not a scalar", "ENOTSCALAR")
    check("x: &h abc\nResources:\n  DBSchemaMigration:\n    Properties:\n      MigrationHash: *h\n",
      "bad.yaml:5:22: Resources.DBSchemaMigration.Properties.MigrationHash is an alias (*h), "
      .. "not a scalar", "ENOTSCALAR")
  end)

  it("reports a parse error even after the path was found", function()
    check("Resources:\n  DBSchemaMigration:\n    Properties:\n      MigrationHash: a\n  key: - x\n",
      "bad.yaml:5:8: block sequence entries are not allowed in this context", "EYAML")
  end)

  it("refuses to rewrite block scalars (ESTYLE) but locates them", function()
    local text = "Resources:\n  DBSchemaMigration:\n    Properties:\n      MigrationHash: |\n        abc\n"
    local loc = assert(yaml.locate(text, PATH))
    assert.are.same({ "literal", "abc\n", "|\n        abc\n" },
      { loc.style, loc.value, text:sub(loc.start, loc.stop) })
    assert.are.same({ nil, "bad.yaml:4:22: Resources.DBSchemaMigration.Properties.MigrationHash "
      .. "is a literal (|) block scalar; only plain and quoted scalars are rewritten in place",
      "ESTYLE" }, { yaml.set_scalar(text, PATH, HASH, "bad.yaml") })
  end)

  it("raises on misuse", function()
    assert.has_error(function() yaml.locate("a: b", "a..b") end)
    assert.has_error(function() yaml.set_scalar("a: b", "a", "\255") end)
    assert.has_error(function() yaml.locate("a: b", { {} }) end)
  end)
end)

describe("dbhost.cfn on errors", function()
  local bad = {
    { "broken.yaml", "Resources:\n  DBSchemaMigration: {Properties: [\n", "EYAML",
      "^.*/broken%.yaml:3:1: did not find expected node content" },
    { "noresource.yaml", "Resources:\n  Other:\n    Properties: {MigrationHash: x}\n", "ENORESOURCE",
      '^.*/noresource%.yaml has no DBSchemaMigration resource %(Resources%.DBSchemaMigration%)$' },
    { "nopath.yaml", "Resources:\n  DBSchemaMigration:\n    Properties: {Other: x}\n", "ENOPATH",
      '^.*/nopath%.yaml: no key "MigrationHash" under Resources%.DBSchemaMigration%.Properties %(line 3%)$' },
    { "mapping.yaml", "Resources:\n  DBSchemaMigration:\n    Properties:\n      MigrationHash: {a: b}\n",
      "ENOTSCALAR", "^.*/mapping%.yaml:4:22: .* is a mapping, not a scalar$" },
    { "block.yaml", "Resources:\n  DBSchemaMigration:\n    Properties:\n      MigrationHash: >\n        x\n",
      "ESTYLE", "^.*/block%.yaml:4:22: .* folded %(>%) block scalar" },
  }
  for _, case in ipairs(bad) do
    it("writes nothing for " .. case[1] .. " (" .. case[3] .. ")", function()
      local dir = assert(fs.mkdtemp())
      finally(function() fs.rmtree(dir) end)
      local file = dir .. "/" .. case[1]
      assert(fs.write(file, case[2]))
      local before = assert(fs.stat(file))
      local ok, msg, code = cfn.set_migration_hash(file, HASH)
      assert.is_nil(ok)
      assert.are.equal(case[3], code)
      assert.matches(case[4], msg)
      assert.are.equal(case[2], read(file))
      assert.are.same({ case[1] }, assert(fs.list(dir)))
      assert.are.equal(before.mtime, assert(fs.stat(file)).mtime)
      if case[3] ~= "ESTYLE" then
        assert.are.same({ nil, msg, code }, { cfn.read_migration_hash(file) })
      end
    end)
  end

  it("passes on a missing file's errno", function()
    local ok, msg, code = cfn.set_migration_hash("/nonexistent-dir/t.yaml", HASH)
    assert.is_nil(ok)
    assert.are.equal("ENOENT", code)
    assert.matches("nonexistent%-dir/t%.yaml", msg)
  end)

  it("raises when the value is not a string", function()
    assert.has_error(function() cfn.set_migration_hash("x.yaml", 42) end)
  end)
end)
