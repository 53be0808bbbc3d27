-- http_spec.lua: dbhost.http (libcurl) against a loopback server (tests/lambda/echo_server.py).
local http = require "dbhost.http"
local proc = require "dbhost.proc"
local fs = require "dbhost.fs"
local cjson = require "cjson"
local helper = require "helper"

describe("dbhost.http", function()
  local server, base, tmp

  setup(function()
    tmp = assert(fs.mkdtemp("http-spec"))
    server = assert(proc.spawn { argv = { "python3", helper.source_dir .. "/tests/lambda/echo_server.py" },
                                 stdout = tmp .. "/port", death_signal = "TERM" })
    local port
    for _ = 1, 200 do
      port = (fs.read(tmp .. "/port") or ""):match("^(%d+)\n")
      if port then break end
      proc.sleep(0.025)
    end
    assert(port, "the echo server did not start")
    base = "http://127.0.0.1:" .. port
  end)

  teardown(function()
    if server then server:kill("KILL"); server:wait(5) end
    if tmp then fs.rmtree(tmp) end
  end)

  local function echo(req)
    local res = assert(http.request(req))
    assert.are.equal(200, res.status)
    local doc = cjson.decode(res.body)
    local headers = {}
    for _, h in ipairs(doc.headers) do headers[h[1]:lower()] = h[2] end
    doc.h = headers
    return doc, res
  end

  it("sends the method, body and headers and reads status, headers and body", function()
    local doc, res = echo { method = "POST", url = base .. "/echo?a=1", body = "hello\0world",
                            headers = { { "X-Test", "one two" }, { "Content-Type", "text/plain" } } }
    assert.are.equal("POST", doc.method)
    assert.are.equal("/echo?a=1", doc.path)
    assert.are.equal("hello\0world", doc.body)
    assert.are.equal("one two", doc.h["x-test"])
    assert.are.equal("text/plain", doc.h["content-type"])
    assert.are.equal("yes", res.headers["x-echo"])
    assert.are.equal("application/json", res.headers["content-type"])
  end)

  it("sends an empty header value as an empty header, not as no header", function()
    local doc = echo { method = "PUT", url = base .. "/echo", body = "{}", headers = { { "Content-Type", "" } } }
    assert.are.equal("", doc.h["content-type"])
    assert.are.equal("2", doc.h["content-length"])
  end)

  it("never sends Expect: 100-continue, even for a large body", function()
    local doc = echo { method = "PUT", url = base .. "/echo", body = ("x"):rep(200000) }
    assert.is_nil(doc.h["expect"])
    assert.are.equal(200000, #doc.body)
  end)

  it("returns error statuses as results", function()
    local res = assert(http.request { url = base .. "/status/503" })
    assert.are.equal(503, res.status)
  end)

  it("reports a refused connection and a timeout with stable codes", function()
    local ok, msg, code = http.request { url = "http://127.0.0.1:1/" }
    assert.is_nil(ok)
    assert.are.equal("ECONNREFUSED", code)
    assert.matches("127.0.0.1:1", msg, 1, true)
    local t0 = proc.now()
    ok, msg, code = http.request { url = base .. "/slow", timeout = 0.3 }
    assert.is_nil(ok)
    assert.are.equal("ETIMEDOUT", code)
    assert.is_true(proc.now() - t0 < 2)
  end)

  it("tells the wall-clock time with a fraction", function()
    local t = http.now()
    assert.is_true(math.abs(t - os.time()) <= 1)
    proc.sleep(0.05)
    local d = http.now() - t
    assert.is_true(d >= 0.04 and d < 1, tostring(d))
  end)

  it("raises on misuse", function()
    assert.has_error(function() http.request {} end)
    assert.has_error(function() http.request { url = base, headers = { { "Bad\nName", "x" } } } end)
    assert.has_error(function() http.request { url = base, headers = { { "X", "two\r\nlines" } } } end)
    assert.has_error(function() http.request { url = base, timeout = -1 } end)
  end)

  describe("watchdog", function()
    local function record(name)
      local res = assert(http.request { url = base .. "/record/" .. name })
      if res.status == 404 then return nil end
      return cjson.decode(res.body)
    end

    it("sends its request at the time given unless claimed first", function()
      local wd = assert(http.watchdog { at = http.now() + 0.3, url = base .. "/record/fired",
                                        body = '{"Status":"FAILED"}', headers = { { "Content-Type", "" } } })
      proc.sleep(1.2)
      assert.is_true(wd:fired())
      local mine, status = wd:claim()
      assert.is_false(mine)
      assert.are.equal(200, status)
      local r = record("fired")
      assert.are.equal(1, r.count)
      assert.are.equal('{"Status":"FAILED"}', r.body)
      assert.are.equal("PUT", r.method)
    end)

    it("stays quiet once claimed", function()
      local wd = assert(http.watchdog { at = http.now() + 0.6, url = base .. "/record/quiet", body = "x" })
      assert.is_true(wd:claim())
      assert.is_false(wd:fired())
      proc.sleep(1)
      assert.is_nil(record("quiet"))
      wd:close()
      wd:close()
    end)

    it("retries on a 5xx and gives up after its attempts", function()
      local wd = assert(http.watchdog { at = 0, url = base .. "/status/500", body = "x", attempts = 2 })
      proc.sleep(0.2)
      local mine, status = wd:claim()
      assert.is_false(mine)
      assert.are.equal(500, status)
    end)

    it("is stopped and joined when collected", function()
      do
        local wd <close> = assert(http.watchdog { at = http.now() + 30, url = base .. "/record/gc", body = "x" }) -- luacheck: ignore 211
      end
      collectgarbage()
      assert.is_nil(record("gc"))
    end)
  end)
end)
