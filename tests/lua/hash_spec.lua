-- hash_spec.lua: dbhost.hash as Lua sees it (SHA-256, atlas.sum, validation).
local hash = require "dbhost.hash"
local fs = require "dbhost.fs"
local helper = require "helper"

local VECTORS = helper.vectors .. "/atlas-sum"

-- Every directory under the vectors that holds an atlas.sum (recursively).
local function vector_dirs()
  local out = {}
  local function walk(dir)
    if fs.stat(dir .. "/atlas.sum") then out[#out + 1] = dir end
    for _, name in ipairs(assert(fs.list(dir))) do
      local st = fs.stat(dir .. "/" .. name)
      if st and st.type == "directory" then walk(dir .. "/" .. name) end
    end
  end
  walk(VECTORS)
  return out
end

-- A private copy of a vector directory's top-level files.
local function copy_vector(name)
  local tmp = assert(fs.mkdtemp("hash-spec"))
  local src = VECTORS .. "/" .. name
  for _, f in ipairs(assert(fs.list(src))) do
    local st = fs.stat(src .. "/" .. f)
    if st.type == "file" then assert(fs.write(tmp .. "/" .. f, assert(fs.read(src .. "/" .. f)))) end
  end
  return tmp
end

describe("dbhost.hash", function()
  describe("sha256, hex, base64", function()
    it("gives the known answers", function()
      assert.equal("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        hash.hex(hash.sha256("")))
      assert.equal("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
        hash.hex(hash.sha256("abc")))
      assert.equal(32, #hash.sha256("x"))
      assert.equal("47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=", hash.base64(hash.sha256("")))
      assert.equal("Zm9vYmE=", hash.base64("fooba"))
      assert.equal("Zg==", hash.base64("f"))
      assert.equal("", hash.base64(""))
      assert.equal("00ff", hash.hex("\0\255"))
    end)

    it("has a running hasher whose digest does not reset", function()
      local h = hash.new()
      assert.equal(h, h:update("a"))
      h:update("bc")
      assert.equal(hash.sha256("abc"), h:digest())
      assert.equal(hash.sha256("abc"), h:digest())
      h:update("d")
      assert.equal(hash.sha256("abcd"), h:digest())
      h:close()
      h:close()
      assert.has_error(function() h:update("x") end, "attempt to use a closed hasher")
      assert.has_error(function() h:digest() end)
      do local g <close> = hash.new(); g:update("x") end
    end)
  end)

  describe("atlas_sum", function()
    local dirs = vector_dirs()

    it("finds every vector directory", function()
      assert.is_true(#dirs >= 7)
      local found_sub = false
      for _, d in ipairs(dirs) do
        if d:match("migrate%-nested/sub$") then found_sub = true end
      end
      assert.is_true(found_sub)
    end)

    for _, dir in ipairs(dirs) do
      local short = dir:sub(#VECTORS + 2)
      it("reproduces " .. short .. "/atlas.sum byte for byte", function()
        local want = assert(fs.read(dir .. "/atlas.sum"))
        local text, entries = hash.atlas_sum(dir)
        assert.equal(want, text)
        local parsed = assert(hash.parse_sum(want))
        assert.equal(parsed.total, entries.total)
        assert.equal(#parsed.entries, #entries)
        for i, e in ipairs(entries) do
          assert.equal(parsed.entries[i].name, e.name)
          assert.equal(parsed.entries[i].hash, e.hash)
          assert.equal(44, #e.hash)
          assert.equal(i + 1, parsed.entries[i].line)
        end
        assert.is_true(hash.validate(dir))
      end)

      it("gives the same text for " .. short .. " from memory (atlas_sum_of)", function()
        local files = {}
        for _, name in ipairs(assert(fs.list(dir))) do
          local st = fs.stat(dir .. "/" .. name)
          if st.type == "file" then
            files[#files + 1] = { name = name, data = assert(fs.read(dir .. "/" .. name)) }
          end
        end
        local text = hash.atlas_sum_of(files)
        assert.equal(assert(fs.read(dir .. "/atlas.sum")), text)
      end)
    end

    it("counts only top-level regular files ending exactly in .sql, in byte order", function()
      local tmp = assert(fs.mkdtemp("hash-spec"))
      assert(fs.write(tmp .. "/10_x.sql", "A;"))
      assert(fs.write(tmp .. "/2_x.sql", "B;"))
      assert(fs.write(tmp .. "/3_x.SQL", "C;"))
      assert(fs.write(tmp .. "/notes.txt", "D"))
      assert(fs.write(tmp .. "/4_x.sql.bak", "E"))
      assert(fs.mkdir(tmp .. "/5_dir.sql"))
      assert(fs.write(tmp .. "/5_dir.sql/6_inner.sql", "F;"))
      local text, entries = hash.atlas_sum(tmp)
      assert.equal(2, #entries)
      assert.equal("10_x.sql", entries[1].name)
      assert.equal("2_x.sql", entries[2].name)
      local same = hash.atlas_sum_of({ { name = "2_x.sql", data = "B;" }, { name = "10_x.sql", data = "A;" },
        { name = "notes.txt", data = "D" } })
      assert.equal(text, same)
      assert(fs.rmtree(tmp))
    end)

    it("feeds an ignored file's name (only) to the running hash", function()
      local text, entries = hash.atlas_sum_of({
        { name = "1.sql", data = "-- atlas:sum ignore\nX;" },
        { name = "2.sql", data = "Y;\n" },
      })
      assert.equal(1, #entries)
      assert.equal(hash.base64(hash.sha256("1.sql2.sqlY;\n")), entries[1].hash)
      assert.equal("h1:" .. entries.total .. "\n2.sql h1:" .. entries[1].hash .. "\n", text)
      assert.equal(hash.base64(hash.sha256("2.sql" .. entries[1].hash)), entries.total)
    end)

    it("gives the empty total for an empty directory", function()
      local tmp = assert(fs.mkdtemp("hash-spec"))
      local text, entries = hash.atlas_sum(tmp)
      assert.equal("h1:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n", text)
      assert.equal(0, #entries)
      assert(fs.rmtree(tmp))
    end)

    it("returns nil, msg, code for a missing directory", function()
      local ok, msg, code = hash.atlas_sum("/nonexistent/dbhost-hash-spec")
      assert.is_nil(ok)
      assert.equal("ENOENT", code)
      assert.matches("dbhost%-hash%-spec", msg)
    end)

    it("rejects malformed file lists", function()
      assert.has_error(function() hash.atlas_sum_of({ "x" }) end)
      assert.has_error(function() hash.atlas_sum_of({ { name = "a.sql" } }) end)
      assert.has_error(function()
        hash.atlas_sum_of({ { name = "a.sql", data = "" }, { name = "a.sql", data = "" } })
      end)
    end)
  end)

  describe("parse_sum", function()
    local good = "h1:POfbsH2G2GIXAZQ2CdPa5ufTxcLpcnperz/gX0Vw6Uk=\n" ..
      "1_first.sql h1:uJ2MyyeTqXx4rCqtRMQAvRrfsvdwmvsZ3LcadVvCdOc=\n"

    it("reads the recorded lines, tolerating CRLF", function()
      local sum = assert(fs.read(VECTORS .. "/partial-checkpoint/atlas.sum"))
      local t = assert(hash.parse_sum((sum:gsub("\n", "\r\n"))))
      assert.equal("POfbsH2G2GIXAZQ2CdPa5ufTxcLpcnperz/gX0Vw6Uk=", t.total)
      assert.equal(6, #t.entries)
      assert.same({ name = "6_sixth.sql", hash = "JNhpyBtH7XKqGBNRHQ+AvM9IDpO08C3G/swWPHfLkfw=", line = 7 },
        t.entries[6])
    end)

    it("reports a line without h1: as EFORMAT, naming the file and line", function()
      local ok, msg, code = hash.parse_sum(good .. "junk\n", "migrations/atlas.sum")
      assert.is_nil(ok)
      assert.equal("EFORMAT", code)
      assert.equal('migrations/atlas.sum:3: checksum file format invalid: expected "<file> h1:<hash>"', msg)
      local _, msg2 = hash.parse_sum(good .. "\n")
      assert.equal('atlas.sum:3: checksum file format invalid: expected "<file> h1:<hash>"', msg2)
    end)

    it("reports a total that disagrees with the lines as EMISMATCH", function()
      local ok, msg, code = hash.parse_sum((good:gsub("POfb", "POfc")))
      assert.is_nil(ok)
      assert.equal("EMISMATCH", code)
      assert.equal("atlas.sum: checksum mismatch: the total on line 1 does not match the file's lines", msg)
      local _, _, code2 = hash.parse_sum("")
      assert.equal("EMISMATCH", code2)
    end)
  end)

  describe("validate", function()
    local tmp
    after_each(function()
      if tmp then fs.rmtree(tmp) end
      tmp = nil
    end)

    -- The partial-checkpoint vector: 1_first 2_second 3_checkpoint 4_fourth 5_checkpoint 6_sixth.
    it("accepts an unchanged copy", function()
      tmp = copy_vector("partial-checkpoint")
      assert.is_true(hash.validate(tmp))
    end)

    it("reports an edited middle file", function()
      tmp = copy_vector("partial-checkpoint")
      assert(fs.write(tmp .. "/3_checkpoint.sql", assert(fs.read(tmp .. "/3_checkpoint.sql")) .. "-- edit\n"))
      local ok, err = hash.validate(tmp)
      assert.is_nil(ok)
      assert.equal("EMISMATCH", err.code)
      assert.equal("checksum mismatch", err.message)
      assert.equal("edited", err.reason)
      assert.equal("3_checkpoint.sql", err.file)
      assert.equal(4, err.line)
      assert.equal("L4: 3_checkpoint.sql was edited", err.detail)
      -- pos is the byte offset of that line in atlas.sum.
      local sum = assert(fs.read(tmp .. "/atlas.sum"))
      assert.equal("3_checkpoint.sql h1:", sum:sub(err.pos + 1, err.pos + 20))
    end)

    it("reports a file added in the middle", function()
      tmp = copy_vector("partial-checkpoint")
      assert(fs.write(tmp .. "/2a_extra.sql", "SELECT 1;\n"))
      local _, err = hash.validate(tmp)
      assert.equal("added", err.reason)
      assert.equal("2a_extra.sql", err.file)
      assert.equal(4, err.line)
    end)

    it("reports a file added at the end on line Total+2", function()
      tmp = copy_vector("partial-checkpoint")
      assert(fs.write(tmp .. "/7_seventh.sql", "SELECT 7;\n"))
      local _, err = hash.validate(tmp)
      assert.equal("EMISMATCH", err.code)
      assert.equal("added", err.reason)
      assert.equal("7_seventh.sql", err.file)
      assert.equal(6 + 2, err.line)
      assert.equal(#assert(fs.read(tmp .. "/atlas.sum")), err.pos)
    end)

    it("reports a removed file", function()
      tmp = copy_vector("partial-checkpoint")
      assert(fs.remove(tmp .. "/4_fourth.sql"))
      local _, err = hash.validate(tmp)
      assert.equal("removed", err.reason)
      assert.equal("4_fourth.sql", err.file)
      assert.equal(5, err.line)
    end)

    it("blames the first file when an ignored file is added before it (its name is hashed)", function()
      tmp = copy_vector("partial-checkpoint")
      assert(fs.write(tmp .. "/0_ignored.sql", "-- atlas:sum ignore\nSELECT 0;\n"))
      local _, err = hash.validate(tmp)
      assert.equal("edited", err.reason)
      assert.equal("1_first.sql", err.file)
      assert.equal(2, err.line)
    end)

    it("reports a missing atlas.sum as ENOTFOUND, unless there are no .sql files", function()
      tmp = copy_vector("partial-checkpoint")
      assert(fs.remove(tmp .. "/atlas.sum"))
      local ok, err = hash.validate(tmp)
      assert.is_nil(ok)
      assert.equal("ENOTFOUND", err.code)
      assert.equal("checksum file not found", err.message)
      assert.is_nil(err.reason)
      for _, name in ipairs(assert(fs.list(tmp))) do assert(fs.remove(tmp .. "/" .. name)) end
      assert(fs.write(tmp .. "/README.md", "not a migration"))
      assert.is_true(hash.validate(tmp))
    end)

    it("reports a malformed atlas.sum as EFORMAT naming the line", function()
      tmp = copy_vector("partial-checkpoint")
      local sum = assert(fs.read(tmp .. "/atlas.sum"))
      local first, rest = sum:match("^(.-\n.-\n)(.*)$")
      assert(fs.write(tmp .. "/atlas.sum", first .. "garbage\n" .. rest))
      local ok, err = hash.validate(tmp)
      assert.is_nil(ok)
      assert.equal("EFORMAT", err.code)
      assert.equal('atlas.sum:3: checksum file format invalid: expected "<file> h1:<hash>"', err.message)
      assert.equal(3, err.line)
      assert.is_nil(err.reason)
    end)

    it("reports a total that does not match its lines as EMISMATCH without a reason", function()
      tmp = copy_vector("partial-checkpoint")
      local sum = assert(fs.read(tmp .. "/atlas.sum"))
      assert(fs.write(tmp .. "/atlas.sum", (sum:gsub("^h1:POfb", "h1:POfc"))))
      local ok, err = hash.validate(tmp)
      assert.is_nil(ok)
      assert.equal("EMISMATCH", err.code)
      assert.equal("atlas.sum: checksum mismatch: the total on line 1 does not match the file's lines",
        err.message)
      assert.is_nil(err.reason)
      assert.equal(1, err.line)
    end)

    it("accepts a CRLF atlas.sum that matches", function()
      tmp = copy_vector("timestamped")
      local sum = assert(fs.read(tmp .. "/atlas.sum"))
      assert(fs.write(tmp .. "/atlas.sum", (sum:gsub("\n", "\r\n"))))
      assert.is_true(hash.validate(tmp))
    end)
  end)
end)
