-- sigv4_spec.lua: dbhost.sigv4 against the AWS SigV4 test suite (tests/vectors/sigv4,
-- see its README), in both forms: the Authorization header and the presigned query.
local sigv4 = require "dbhost.sigv4"
local fs = require "dbhost.fs"
local cjson = require "cjson"
local helper = require "helper"

local VECTORS = helper.source_dir .. "/tests/vectors/sigv4"

local function read(case, name)
  return (assert(fs.read(VECTORS .. "/" .. case .. "/" .. name)))
end

-- "2015-08-30T12:36:00Z" -> Unix seconds
local function epoch(ts)
  local y, mo, d, h, mi, s = ts:match("^(%d+)-(%d+)-(%d+)T(%d+):(%d+):(%d+)Z$")
  y, mo, d = tonumber(y), tonumber(mo), tonumber(d)
  -- days from civil (Howard Hinnant's algorithm)
  if mo <= 2 then y = y - 1 end
  local era = y // 400
  local yoe = y - era * 400
  local doy = (153 * (mo + (mo > 2 and -3 or 9)) + 2) // 5 + d - 1
  local doe = yoe * 365 + yoe // 4 - yoe // 100 + doy
  local days = era * 146097 + doe - 719468
  return days * 86400 + tonumber(h) * 3600 + tonumber(mi) * 60 + tonumber(s)
end

-- request.txt -> method, path, query, headers ({name, value} in order, folded lines joined), body
local function parse_request(text)
  local head, body = text:match("^(.-)\n\n(.*)$")
  head = head or text:gsub("\n$", "")
  local lines = {}
  for line in (head .. "\n"):gmatch("([^\n]*)\n") do lines[#lines + 1] = line end
  local method, target = lines[1]:match("^(%S+) (.+) HTTP/1%.1$")
  local path, query = target:match("^([^?]*)%??(.*)$")
  local headers = {}
  for i = 2, #lines do
    local line = lines[i]
    if line:match("^%s") then
      local last = headers[#headers]
      last[2] = last[2] .. "\n" .. line
    else
      local name, value = line:match("^([^:]+):(.*)$")
      headers[#headers + 1] = { name, value }
    end
  end
  return method, path, query, headers, body or ""
end

local function cases()
  local out = {}
  for _, name in ipairs(assert(fs.list(VECTORS))) do
    local st = fs.stat(VECTORS .. "/" .. name)
    if st.type == "directory" then out[#out + 1] = name end
  end
  table.sort(out)
  return out
end

local function request_for(case, mode)
  local ctx = cjson.decode(read(case, "context.json"))
  local method, path, query, headers, body = parse_request(read(case, "request.txt"))
  return {
    method = method, path = path, query = query, headers = headers, body = body,
    access_key = ctx.credentials.access_key_id, secret_key = ctx.credentials.secret_access_key,
    session_token = ctx.credentials.token, region = ctx.region, service = ctx.service,
    time = epoch(ctx.timestamp), normalize = ctx.normalize, sign_body = ctx.sign_body,
    omit_session_token = ctx.omit_session_token, expires = ctx.expiration_in_seconds, mode = mode,
  }
end

-- the query parameters of a request line, as a set (percent-escapes decoded:
-- the vectors' request lines keep UTF-8 raw)
local function param_set(q)
  local set = {}
  for pair in q:gmatch("[^&]+") do
    set[pair:gsub("%%(%x%x)", function(h) return string.char(tonumber(h, 16)) end)] = true
  end
  return set
end

describe("sigv4 vectors", function()
  local all = cases()

  it("has every case of the suite", function()
    assert.are.equal(19, #all)
  end)

  for _, case in ipairs(all) do
    describe(case, function()
      it("header form: canonical request, string to sign, signature, Authorization", function()
        local r = sigv4.sign(request_for(case, "header"))
        assert.are.equal(read(case, "header-canonical-request.txt"), r.canonical_request)
        assert.are.equal(read(case, "header-string-to-sign.txt"), r.string_to_sign)
        assert.are.equal(read(case, "header-signature.txt"), r.signature)
        local signed = read(case, "header-signed-request.txt")
        local auth = signed:match("\nAuthorization:([^\n]*)")
        assert.are.equal(auth, r.authorization)
        -- every header the signer adds is in the signed request, with its value
        for _, h in ipairs(r.headers) do
          local v = signed:match("\n" .. h[1]:gsub("%-", "%%-") .. ":([^\n]*)")
          assert.are.equal(v, h[2], h[1])
        end
      end)

      it("query form: canonical request, string to sign, signature, presigned query", function()
        local r = sigv4.sign(request_for(case, "query"))
        assert.are.equal(read(case, "query-canonical-request.txt"), r.canonical_request)
        assert.are.equal(read(case, "query-string-to-sign.txt"), r.string_to_sign)
        assert.are.equal(read(case, "query-signature.txt"), r.signature)
        local line = read(case, "query-signed-request.txt"):match("^%S+ [^?]*%?(%S+) HTTP")
        assert.are.same(param_set(line), param_set(r.query))
      end)
    end)
  end
end)

describe("sigv4.sign", function()
  local base = function()
    return { method = "GET", path = "/", headers = { { "Host", "example.amazonaws.com" } },
             access_key = "AKIDEXAMPLE", secret_key = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
             region = "us-east-1", service = "service", time = 1440938160 }
  end

  it("reaches the same signature whatever the header order", function()
    local a, b = base(), base()
    a.headers[2] = { "X-B", "2" }; a.headers[3] = { "X-A", "1" }
    b.headers = { { "x-a", "1" }, { "X-B", "2" }, { "host", "example.amazonaws.com" } }
    assert.are.equal(sigv4.sign(a).signature, sigv4.sign(b).signature)
  end)

  it("changes the signature with the region, the time and the secret", function()
    local s0 = sigv4.sign(base()).signature
    local r = base(); r.region = "eu-west-1"
    local t = base(); t.time = t.time + 1
    local k = base(); k.secret_key = k.secret_key .. "x"
    assert.are_not.equal(s0, sigv4.sign(r).signature)
    assert.are_not.equal(s0, sigv4.sign(t).signature)
    assert.are_not.equal(s0, sigv4.sign(k).signature)
  end)

  it("never puts the secret key in its output", function()
    local r = base(); r.session_token = "TOKEN"
    local out = sigv4.sign(r)
    for _, v in pairs(out) do
      if type(v) == "string" then assert.is_nil(v:find(r.secret_key, 1, true)) end
    end
  end)

  it("resolves dot segments and keeps a trailing slash when normalising", function()
    local r = base(); r.path = "/a/./b/../c//d/"
    assert.are.equal("/a/c/d/", sigv4.sign(r).canonical_request:match("^GET\n([^\n]*)"))
    r.normalize = false
    assert.are.equal("/a/./b/../c//d/", sigv4.sign(r).canonical_request:match("^GET\n([^\n]*)"))
    r.path = "no-slash"
    assert.are.equal("/no-slash", sigv4.sign(r).canonical_request:match("^GET\n([^\n]*)"))
  end)

  it("raises on misuse", function()
    assert.has_error(function() sigv4.sign({}) end)
    local r = base(); r.mode = "url"
    assert.has_error(function() sigv4.sign(r) end)
    r = base(); r.headers = { "Host: x" }
    assert.has_error(function() sigv4.sign(r) end)
    r = base(); r.headers[2] = { "a;b", "1" }
    assert.has_error(function() sigv4.sign(r) end, "bad argument #1 to 'sign' (headers[2]: not an HTTP header name)")
    r = base(); r.headers[2] = { "x-amz-date", "20150830T123600Z" }
    assert.has_error(function() sigv4.sign(r) end, "bad argument #1 to 'sign' (headers[2]: X-Amz-Date is the signer's to set, from 'time')")
  end)
end)
