-- dbhost.json: stable encoding and decoding with located errors.
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
    assert.matches("json:1:9: unexpected", msg, 1, true)
    v, msg = json.decode('"abc')
    assert.matches("unterminated string", msg, 1, true)
    v, msg = json.decode(string.rep("[", 600))
    assert.matches("nesting too deep", msg, 1, true)
  end)

  it("refuses values JSON cannot hold", function()
    assert.has_error(function() json.encode { [true] = 1 } end)
    assert.has_error(function() json.encode(0 / 0) end)
    local t = {}
    t.self = t
    assert.has_error(function() json.encode(t) end)
  end)
end)
