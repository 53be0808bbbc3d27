-- schema_corpus_spec.lua: the schema engine's case corpus (tests/schema/cases) is well-formed;
-- no database needed. See tests/schema/README.md for the format.
local helper = require "helper"
local sql = require "dbhost.sql"
local fs = require "dbhost.fs"

local CASES_DIR = helper.source_dir .. "/tests/schema/cases"
local KNOWN_EXPECT = { destructive = true, ["txmode none"] = true, ["rename-hint"] = true, ["no changes"] = true }

local function lines_of(text)
  local out = {}
  for line in (text .. "\n"):gmatch("(.-)\r?\n") do out[#out + 1] = line end
  return out
end

-- True when text holds nothing but comments and white space.
local function is_only_comments(text)
  local rest = text:gsub("/%*.-%*/", ""):gsub("%-%-[^\n]*", "")
  return rest:match("^%s*$") ~= nil
end

local names = {}
for _, n in ipairs(assert(fs.list(CASES_DIR))) do
  if n ~= "." and n ~= ".." then names[#names + 1] = n end
end
table.sort(names)

describe("schema corpus", function()
  it("has at least 90 cases with unique numbers and well-formed names", function()
    local seen = {}
    for _, n in ipairs(names) do
      assert(n:match("^%d%d%d_[a-z0-9_]+%.sql$"), "badly named file in tests/schema/cases: " .. n)
      local num = n:sub(1, 3)
      assert(not seen[num], ("case number %s is used twice: %s and %s"):format(num, tostring(seen[num]), n))
      seen[num] = n
    end
    assert.is_true(#names >= 90, ("only %d cases"):format(#names))
  end)

  for _, n in ipairs(names) do
    it(n, function()
      local path = "tests/schema/cases/" .. n
      local text = assert(fs.read(CASES_DIR .. "/" .. n))
      local lines = lines_of(text)
      assert(lines[1]:match("^%-%- %S"), path .. ":1: a case starts with a comment describing it")
      local sep, before, after, roles = nil, {}, {}, {}
      for i, line in ipairs(lines) do
        if line:match("^%-%- ==== after ====%s*$") then
          assert(not sep, ("%s:%d: a second separator line"):format(path, i))
          sep = i
        elseif sep then
          after[#after + 1] = line
        else
          before[#before + 1] = line
        end
        local e = line:match("^%-%-%s*expect:%s*(.-)%s*$")
        if e then
          assert(KNOWN_EXPECT[e], ("%s:%d: unknown expectation %q"):format(path, i, e))
        end
        if line:match("^%-%-%s*pg_dump:") then
          assert(line:match("^%-%- pg_dump: differs because %S.+$"),
            ("%s:%d: a pg_dump header must give its reason: '-- pg_dump: differs because <reason>'"):format(path, i))
        end
        local r = line:match("^%-%-%s*roles:%s*(.-)%s*$")
        if r then
          for role in r:gmatch("%S+") do
            assert(role:match("^role_[a-z0-9_]+$"), ("%s:%d: role names look like role_name, not %q"):format(path, i, role))
            roles[#roles + 1] = role
          end
        end
        assert(not line:match("^%s*\\"), ("%s:%d: no psql meta-commands"):format(path, i))
      end
      assert(sep, path .. ": no '-- ==== after ====' line")

      local function check_section(section, line0)
        local body = table.concat(section, "\n")
        local stmts, err = sql.split(body, path)
        assert(stmts, err)
        for _, st in ipairs(stmts) do
          local where = ("%s:%d"):format(path, line0 + st.line)
          local upper = st.text:upper()
          assert(not upper:match("^%s*CREATE%s+ROLE") and not upper:match("^%s*CREATE%s+USER"),
            where .. ": roles come from a '-- roles:' header, not CREATE ROLE")
          assert(not upper:match("^%s*CREATE%s+DATABASE"), where .. ": no CREATE DATABASE")
          assert(not upper:match("^%s*INSERT%s"), where .. ": cases hold schema only, no data")
          assert(not upper:match("^%s*BEGIN%s*;") and not upper:match("^%s*COMMIT"),
            where .. ": no transaction control (each statement runs on its own)")
          assert(is_only_comments(st.text) or st.text:match(";%s*$"), where .. ": a statement must end with ';'")
        end
        return body
      end
      local b = check_section(before, 0)
      local a = check_section(after, sep)
      for _, role in ipairs(roles) do
        assert((b .. "\n" .. a):find("%f[%w_]" .. role .. "%f[^%w_]"),
          ("%s: role %s is declared but not used"):format(path, role))
      end
    end)
  end
end)
