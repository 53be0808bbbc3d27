-- dbhost.fs as Lua sees it: atomic writes, sorted listings, the nil, message, code convention.
local fs = require "dbhost.fs"
local proc = require "dbhost.proc"

describe("dbhost.fs", function()
  local dir
  before_each(function() dir = assert(fs.mkdtemp("dbhost-fs-spec")) end)
  after_each(function() assert(fs.rmtree(dir)) end)

  it("writes atomically, keeps the mode of an existing file and leaves no temp file", function()
    local p = dir .. "/a.txt"
    assert.is_true(fs.write(p, "one"))
    assert.are.equal("one", fs.read(p))
    assert.are.equal(420, fs.stat(p).mode) -- 0644 by default
    assert.is_true(fs.write(p, "two", 384)) -- 0600
    assert.are.equal(384, fs.stat(p).mode)
    assert.is_true(fs.write(p, "three"))
    assert.are.equal(384, fs.stat(p).mode, "an existing file's mode is kept")
    assert.are.same({ "a.txt" }, fs.list(dir))
  end)

  it("reads and writes binary data with NUL bytes", function()
    local data = "a\0b\255\0" .. string.rep("x", 200000)
    assert(fs.write(dir .. "/bin", data))
    assert.are.equal(data, fs.read(dir .. "/bin"))
  end)

  it("lists names in byte order, without . and ..", function()
    for _, n in ipairs { "b.sql", "10_x.sql", "2_x.sql", "B.sql", "a" } do assert(fs.write(dir .. "/" .. n, "")) end
    assert(fs.mkdir(dir .. "/sub"))
    assert.are.same({ "10_x.sql", "2_x.sql", "B.sql", "a", "b.sql", "sub" }, fs.list(dir))
  end)

  it("returns nil, message, errno name for operational failures", function()
    local v, msg, code = fs.read(dir .. "/missing")
    assert.is_nil(v)
    assert.matches("missing: No such file or directory", msg, 1, true)
    assert.are.equal("ENOENT", code)
    v, msg, code = fs.read(dir)
    assert.is_nil(v)
    assert.are.equal("EISDIR", code)
    v, msg, code = fs.list(dir .. "/missing")
    assert.is_nil(v)
    assert.are.equal("ENOENT", code)
    v, msg, code = fs.write(dir .. "/no/such/dir/file", "x")
    assert.is_nil(v)
    assert.are.equal("ENOENT", code)
    assert.are.same({}, fs.list(dir), "a failed write leaves nothing behind")
  end)

  it("stats files, directories and links", function()
    assert(fs.write(dir .. "/f", "12345"))
    local st = fs.stat(dir .. "/f")
    assert.are.equal("file", st.type)
    assert.are.equal(5, st.size)
    assert.are.equal("directory", fs.stat(dir).type)
    local ln = require("dbhost.proc").run { argv = { "ln", "-s", "f", dir .. "/l" } }
    assert.are.equal(0, ln.status)
    assert.are.equal("file", fs.stat(dir .. "/l").type)
    assert.are.equal("link", fs.stat(dir .. "/l", true).type)
  end)

  it("mkdir accepts an existing directory but not an existing file", function()
    assert.is_true(fs.mkdir(dir .. "/d"))
    assert.is_true(fs.mkdir(dir .. "/d"))
    assert(fs.write(dir .. "/file", ""))
    local ok, _, code = fs.mkdir(dir .. "/file")
    assert.is_nil(ok)
    assert.are.equal("EEXIST", code)
  end)

  it("rmtree removes a tree without following links out of it", function()
    local outside = assert(fs.mkdtemp("dbhost-fs-outside"))
    assert(fs.write(outside .. "/keep", "x"))
    assert(fs.mkdir(dir .. "/t"))
    assert(fs.mkdir(dir .. "/t/u"))
    assert(fs.write(dir .. "/t/u/f", "x"))
    local ln = require("dbhost.proc").run { argv = { "ln", "-s", outside, dir .. "/t/link" } }
    assert.are.equal(0, ln.status)
    assert.is_true(fs.rmtree(dir .. "/t"))
    assert.is_nil(fs.stat(dir .. "/t"))
    assert.are.equal("x", fs.read(outside .. "/keep"), "the link's target survives")
    assert.is_true(fs.rmtree(dir .. "/t"), "a missing tree is fine")
    assert(fs.rmtree(outside))
  end)

  it("mkdtemp makes private directories under a given parent", function()
    local d = assert(fs.mkdtemp("x", dir))
    assert.matches("^" .. dir:gsub("%p", "%%%0") .. "/x%-", d)
    assert.are.equal(448, fs.stat(d).mode) -- 0700
  end)

  it("renames, removes, resolves paths and tells terminals", function()
    assert(fs.write(dir .. "/a", "1"))
    assert.is_true(fs.rename(dir .. "/a", dir .. "/b"))
    assert.are.equal("1", fs.read(dir .. "/b"))
    assert.is_true(fs.remove(dir .. "/b"))
    assert.is_nil(fs.stat(dir .. "/b"))
    assert.are.equal(fs.realpath(dir), fs.realpath(dir .. "/."))
    assert.is_string(fs.cwd())
    assert.is_boolean(fs.isatty(1))
  end)

  it("copytree copies folders and files with their modes, never through a link", function()
    local src = dir .. "/ct-src"
    assert(fs.mkdir(src, 448)); assert(fs.mkdir(src .. "/sub", 493))
    assert(fs.write(src .. "/sub/f", "data", 416)) -- 0640
    assert.is_true(fs.copytree(src, dir .. "/ct-dst"))
    assert.are.equal("data", fs.read(dir .. "/ct-dst/sub/f"))
    assert.are.same({ 416, 493, 448 }, { fs.stat(dir .. "/ct-dst/sub/f").mode, fs.stat(dir .. "/ct-dst/sub").mode,
                                        fs.stat(dir .. "/ct-dst").mode })
    -- the target must not exist yet
    local ok, _, code = fs.copytree(src, dir .. "/ct-dst")
    assert.is_nil(ok); assert.are.equal("EEXIST", code)
    -- a link in the source, a link as the source: refused
    assert.are.equal(0, proc.run { argv = { "ln", "-s", "/etc/hostname", src .. "/sub/link" } }.status)
    ok, _, code = fs.copytree(src, dir .. "/ct-link")
    assert.is_nil(ok); assert.are.equal("ELOOP", code)
    assert(fs.remove(src .. "/sub/link"))
    assert.are.equal(0, proc.run { argv = { "ln", "-s", src, dir .. "/ct-srclink" } }.status)
    ok, _, code = fs.copytree(dir .. "/ct-srclink", dir .. "/ct-x")
    assert.is_nil(ok); assert.is_true(code == "ELOOP" or code == "ENOTDIR", code) -- Linux says ENOTDIR
    -- a hard-linked file: refused (it may name a file its owner could not read)
    assert.are.equal(0, proc.run { argv = { "ln", src .. "/sub/f", src .. "/hard" } }.status)
    ok, _, code = fs.copytree(src, dir .. "/ct-hard")
    assert.is_nil(ok); assert.are.equal("EMLINK", code)
  end)

  it("read, chmod and readlink can refuse links", function()
    assert(fs.write(dir .. "/target", "t"))
    assert.are.equal(0, proc.run { argv = { "ln", "-s", dir .. "/target", dir .. "/lnk" } }.status)
    assert.are.equal("t", fs.read(dir .. "/lnk"))
    local ok, _, code = fs.read(dir .. "/lnk", true)
    assert.is_nil(ok); assert.are.equal("ELOOP", code)
    ok, _, code = fs.chmod(dir .. "/lnk", 511)
    assert.is_nil(ok); assert.are.equal("ELOOP", code)
    assert.is_true(fs.chmod(dir .. "/target", 384))
    assert.are.equal(384, fs.stat(dir .. "/target").mode)
    assert.are.equal(dir .. "/target", fs.readlink(dir .. "/lnk"))
  end)

  it("raises on misuse", function()
    assert.has_error(function() fs.read() end)
    assert.has_error(function() fs.write(dir .. "/x") end)
  end)
end)
