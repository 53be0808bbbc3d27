-- meta_spec.lua: every C binding's ---@meta stub (scripts/meta/dbhost/*.lua)
-- lists exactly what Lua sees: the module's functions and fields, and the
-- methods of each class (metatable) it registers. A binding that exports a
-- function its stub does not list fails here; so does a stub that lists one
-- the binding does not have. Runs inside dbhost and in the stock interpreter.
local helper = require "helper"

local META = helper.source_dir .. "/scripts/meta/dbhost/"

-- read_stub(path) -> module name, { [class] = { [member] = true } }
local function read_stub(path)
  local f = assert(io.open(path, "r"))
  local module, classes, var_class, current = nil, {}, {}, nil
  for line in f:lines() do
    local name = line:match("^%-%-%-@meta%s+([%w_.]+)")
    if name then module = name end
    name = line:match("^%-%-%-@class%s+([%w_.]+)")
    if name then
      current = name
      classes[name] = classes[name] or {}
    elseif current and line:match("^%-%-%-@field%s+([%w_]+)") then
      classes[current][line:match("^%-%-%-@field%s+([%w_]+)")] = true
    elseif current and line:match("^local%s+([%w_]+)%s*=%s*{}") then
      var_class[line:match("^local%s+([%w_]+)")] = current
      current = nil
    elseif not line:match("^%-%-%-") then
      current = nil
    end
    local var, member = line:match("^function%s+([%w_]+)[.:]([%w_]+)%(")
    if var then
      assert(var_class[var], path .. ": function on an undeclared table " .. var)
      classes[var_class[var]][member] = true
    end
  end
  f:close()
  return module, classes
end

-- keys(t) -> sorted list of the string keys of t
local function keys(t)
  local out = {}
  for k in pairs(t) do if type(k) == "string" then out[#out + 1] = k end end
  table.sort(out)
  return out
end

-- The C modules this interpreter has: the host preloads them; the stock
-- interpreter lists them through require "dbhost" (build/lua/dbhost.so).
local function binding_names()
  local names = {}
  for name in pairs(package.preload) do
    if name:match("^dbhost%.") then names[#names + 1] = name end
  end
  if #names == 0 then
    for _, name in ipairs(require("dbhost")) do names[#names + 1] = name end
  end
  table.sort(names)
  return names
end

describe("the ---@meta stubs of the C bindings", function()
  local names = binding_names()

  it("exist for every binding", function()
    assert.is_true(#names >= 6, "found only " .. #names .. " bindings")
    for _, name in ipairs(names) do
      local file = META .. name:gsub("^dbhost%.", "") .. ".lua"
      local f = io.open(file, "r")
      assert.is_not_nil(f, name .. " has no stub " .. file)
      f:close()
      local module, classes = read_stub(file)
      assert.are.equal(name, module, file .. " must start with ---@meta " .. name)
      assert.is_not_nil(classes[name], file .. " must declare ---@class " .. name)
    end
  end)

  for _, name in ipairs(names) do
    it("list what " .. name .. " exports", function()
      local file = META .. name:gsub("^dbhost%.", "") .. ".lua"
      local _, classes = read_stub(file)
      local mod = require(name)
      assert.are.same(keys(mod), keys(classes[name]),
        file .. " must list exactly the module's functions and fields")
      -- Every class the binding registers with methods has a stub class with exactly those.
      local reg = debug.getregistry()
      for cname, mt in pairs(reg) do
        if type(cname) == "string" and cname:match("^" .. name:gsub("%.", "%%.") .. "%.")
            and type(mt) == "table" and type(mt.__index) == "table" and next(mt.__index) then
          assert.is_not_nil(classes[cname], file .. " has no ---@class " .. cname)
          assert.are.same(keys(mt.__index), keys(classes[cname]),
            file .. ": the methods of " .. cname)
        end
      end
      -- A stub class named like a metatable must match a registered one.
      for cname in pairs(classes) do
        local mt = reg[cname]
        if cname ~= name and type(mt) == "table" and mt.__index then
          assert.are.same(keys(mt.__index), keys(classes[cname]), file .. ": the methods of " .. cname)
        end
      end
    end)
  end

  it("reads a stub the way the check above relies on", function()
    local path = os.tmpname()
    local f = assert(io.open(path, "w"))
    f:write("---@meta dbhost.x\n---@class dbhost.x\n---@field version string\nlocal x = {}\n",
            "---@param a string\nfunction x.f(a) end\n---@class dbhost.x.h\nlocal h = {}\n",
            "function h:close() end\nreturn x\n")
    f:close()
    local module, classes = read_stub(path)
    os.remove(path)
    assert.are.equal("dbhost.x", module)
    assert.are.same({ "f", "version" }, keys(classes["dbhost.x"]))
    assert.are.same({ "close" }, keys(classes["dbhost.x.h"]))
  end)
end)
