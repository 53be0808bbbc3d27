-- dbhost.json: stable encoding and decoding with located errors (over lua-cjson).
local json = require "dbhost.json"

describe("dbhost.json", function()
  it("encodes with sorted keys, arrays, escapes and integers", function()
    assert.are.equal('{"a":[1,2.5,"x"],"b":true,"c":{},"d":"q\\"\\n\\u0001"}',
      json.encode { b = true, a = { 1, 2.5, "x" }, c = json.object(), d = 'q"\n\1' })
    assert.are.equal("[]", json.encode {})
    assert.are.equal("null", json.encode(json.null))
  end)

  it("round-trips what it encodes", function()
    local v = { name = "é", list = { 1, 2, { x = false } }, n = -3, f = 0.125 }
    assert.are.same(v, (json.decode(json.encode(v))))
  end)

  it("decodes unicode escapes and surrogate pairs", function()
    assert.are.equal("é😀", json.decode('"\\u00e9\\ud83d\\ude00"'))
  end)

  it("keeps null as a sentinel so arrays keep their length", function()
    local v = json.decode("[1,null,3]")
    assert.are.equal(3, #v)
    assert.are.equal(json.null, v[2])
  end)

  it("names file, line and column of malformed input", function()
    local v, msg, code = json.decode('{\n  "a": [1, 2\n}', "event.json")
    assert.is_nil(v)
    assert.are.equal("EJSON", code)
    assert.are.equal('event.json:3:1: expected "," or "]", found "}"', msg)
    v, msg = json.decode('{"a":1} x')
    assert.is_nil(v)
    assert.are.equal("json:1:9: expected the end of input, found invalid token", msg)
    v, msg = json.decode('"abc')
    assert.matches("unterminated string", msg, 1, true)
    v, msg = json.decode(string.rep("[", 600))
    assert.matches("json:1:513: nesting too deep", msg, 1, true)
    -- columns count characters, not bytes
    v, msg = json.decode('{"é": x}', "e.json")
    assert.are.equal("e.json:1:7: expected a JSON value, found invalid token", msg)
    v, msg = json.decode("NaN")
    assert.is_nil(v)
    assert.are.equal("json:1:1: expected a JSON value, found invalid token", msg)
  end)

  it("decodes whole numbers as integers and keeps slashes plain", function()
    local v = assert(json.decode('{"pid": 12, "f": 2.0, "g": 2.5, "url": "a\\/b"}'))
    assert.are.equal("integer", math.type(v.pid))
    assert.are.equal("integer", math.type(v.f))
    assert.are.equal(2.5, v.g)
    assert.are.equal('{"f":2,"g":2.5,"pid":12,"url":"a/b"}', json.encode(v))
    assert.are.equal('"postgres:///x?host=/tmp"', json.encode("postgres:///x?host=/tmp"))
    assert.are.equal('"\\\\/"', json.encode("\\/"))
    assert.are.equal("9223372036854775807", json.encode(math.maxinteger))
    assert.are.equal("0.1", json.encode(0.1))
    assert.are.equal(1 / 3, json.decode(json.encode(1 / 3)))
  end)

  it("indents one item a line, keys sorted", function()
    assert.are.equal('{\n  "a": [\n    1,\n    {}\n  ],\n  "b": []\n}',
      json.encode({ b = {}, a = { 1, json.object() } }, "  "))
  end)

  it("makes encoders for other conventions", function()
    local enc = json.encoder { html_safe = true, is_array = function(t) return t[1] ~= nil end }
    assert.are.equal('{"a":"\\u003cb\\u003e \\u0026"}', enc { a = "<b> &" })
    assert.are.equal("{}", enc {})
  end)

  it("refuses values JSON cannot hold", function()
    assert.has_error(function() json.encode { [true] = 1 } end)
    assert.has_error(function() json.encode(0 / 0) end)
    local t = {}
    t.self = t
    assert.has_error(function() json.encode(t) end)
  end)
end)
