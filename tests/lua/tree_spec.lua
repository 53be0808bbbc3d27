-- tree_spec.lua: doc/TREE.md, the map of the tree, names every folder of the tool:
-- each folder under scripts/ (any depth) and each folder of at most three path parts
-- under bindings/, host/, tests/, bench/, tools/ (deeper ones are test data, described
-- by their parent) must appear in it as `path/`. A folder added without a line in the
-- map fails here, and so does a line (a row of its tables) for a folder that is gone.
local helper = require "helper"
local fs = require "dbhost.fs"

local ROOT = helper.source_dir

-- folders(rel, depth, limit, out): the folders under ROOT/rel, as paths relative to ROOT
local function folders(rel, depth, limit, out)
  for _, name in ipairs(fs.list(ROOT .. "/" .. rel) or {}) do
    local path = rel .. "/" .. name
    local st = fs.stat(ROOT .. "/" .. path)
    if st and st.type == "directory" and name:sub(1, 1) ~= "." then
      if depth + 1 <= limit then out[#out + 1] = path end
      folders(path, depth + 1, limit, out)
    end
  end
  return out
end

local function tree_text()
  local f = assert(io.open(ROOT .. "/doc/TREE.md", "r"))
  local text = f:read("a")
  f:close()
  return text
end

describe("doc/TREE.md", function()
  it("names every folder of scripts/, bindings/, host/, tests/, bench/ and tools/", function()
    local text = tree_text()
    local wanted = {}
    for _, top in ipairs { "scripts", "bindings", "host", "tests", "bench", "tools" } do
      wanted[#wanted + 1] = top
      folders(top, 1, top == "scripts" and math.huge or 3, wanted)
    end
    local missing = {}
    for _, path in ipairs(wanted) do
      if not text:find("`" .. path .. "/`", 1, true) then missing[#missing + 1] = path .. "/" end
    end
    table.sort(missing)
    assert.are.same({}, missing)
  end)

  it("has a line for no folder that does not exist", function()
    local gone = {}
    for line in tree_text():gmatch("[^\n]+") do
      local path = line:match("^| `([%w_./-]+)/` |")
      local st = path and fs.stat(ROOT .. "/" .. path)
      if path and not (st and st.type == "directory") then gone[#gone + 1] = path .. "/" end
    end
    assert.are.same({}, gone)
  end)

  it("is the map the README points to", function()
    local f = assert(io.open(ROOT .. "/README.md", "r"))
    local readme = f:read("a")
    f:close()
    assert.truthy(readme:find("doc/TREE.md", 1, true))
  end)
end)
