--- dbhost.project.hcl.eval: evaluate parsed HCL against a context.
--
--   eval.evaluate(body_or_block, ctx) -> tree | nil, msg, "EHCL"
--   eval.eval_expr(expr, ctx)         -> value | nil, msg, "EHCL"
--   eval.value(expr, ctx)             -> value, raising (for lazy resolvers and functions)
--   eval.blocks_of(tree_or_body, type) -> the blocks of that type
-- (see dbhost.project.hcl for ctx and the shape of a tree).
local values = require "dbhost.project.hcl.values"
local parse = require "dbhost.project.hcl.parse"
local functions = require "dbhost.project.hcl.functions"

local M = {}
local NULL, is_list, type_name = values.null, values.is_list, values.type_name
local number_string, deep_equal = values.number_string, values.deep_equal
local where, fail_at = parse.where, parse.fail_at

local ROOT_FIELDS = { "var", "local", "data", "atlas", "each" }

local IS_ROOT_FIELD = {}
for _, name in ipairs(ROOT_FIELDS) do IS_ROOT_FIELD[name] = true end

-- root_value(ctx, name) -> the value of a root name, or nil when unknown
local function root_value(ctx, name)
  if IS_ROOT_FIELD[name] and ctx[name] ~= nil then return ctx[name] end
  local vars = ctx.variables
  if vars then return vars[name] end
  return nil
end

local eval

-- fail_node(node, fmt, ...) raises an HCL error at the node's file:line:col.
local function fail_node(node, fmt, ...)
  fail_at(node.src, node.s, fmt, ...)
end

-- to_string(v, node, what) -> v converted to a string as HCL does, or an error.
local function to_string(v, node, what)
  local t = type(v)
  if t == "string" then return v end
  if t == "number" then return number_string(v) end
  if t == "boolean" then return v and "true" or "false" end
  fail_node(node, "%s must be a string, got %s", what, type_name(v))
end

-- to_number(v, node, what) -> v as a number (numeric strings convert), or an error naming `what`.
local function to_number(v, node, what)
  if type(v) == "number" then return v end
  if type(v) == "string" then
    local n = tonumber(v)
    if n then return n end
  end
  fail_node(node, "%s must be a number, got %s", what, type_name(v))
end

-- to_bool(v, node, what) -> v as a boolean ("true"/"false" convert), or an error naming `what`.
local function to_bool(v, node, what)
  if type(v) == "boolean" then return v end
  if v == "true" then return true end
  if v == "false" then return false end
  fail_node(node, "%s must be a bool, got %s", what, type_name(v))
end

-- path_of(node) -> "var.x.y" for a traversal made of names, or nil
local function path_of(node)
  if node.k == "var" then return node.name end
  if node.k == "attr" then
    local base = path_of(node.obj)
    return base and (base .. "." .. node.name)
  end
  if node.k == "index" and node.key.k == "num" then
    local base = path_of(node.obj)
    return base and (base .. "[" .. number_string(node.key.v) .. "]")
  end
  return nil
end

-- root_of(node) -> the var node at the start of a traversal
local function root_of(node)
  while node.k == "attr" or node.k == "index" do node = node.obj end
  return node
end

-- lookup(obj, key, node, ctx) -> obj[key] (HCL index 0 is Lua 1), or an error naming the path.
local function lookup(obj, key, node, ctx)
  if obj == nil or obj == NULL then
    fail_node(root_of(node), "cannot read \"%s\" of null (%s)", tostring(key), path_of(node.obj) or "value")
  end
  if type(obj) ~= "table" then
    fail_node(root_of(node), "cannot read \"%s\" of a %s (%s)", tostring(key), type_name(obj),
              path_of(node.obj) or "value")
  end
  local v
  if type(key) == "number" then
    if not is_list(obj) then
      fail_node(node, "cannot index an object with a number")
    end
    if key ~= math.floor(key) or key < 0 or key >= #obj then
      fail_node(node, "index %s out of range for a list of %d elements", number_string(key), #obj)
    end
    v = obj[math.tointeger(key) + 1]
  else
    v = obj[key]
  end
  if v == nil then
    local path = path_of(node)
    if path then
      local root = root_of(node)
      if root_value(ctx, root.name) ~= nil and root.name ~= "each" and root.name ~= "atlas" then
        fail_node(root, "unknown variable \"%s\"", path)
      end
      fail_node(root, "unsupported attribute \"%s\" (%s)", tostring(key), path)
    end
    fail_node(node, "no element \"%s\"", tostring(key))
  end
  return v
end

-- call_function(node, ctx) -> the result of name(args...); null when the function returns nil.
local function call_function(node, ctx)
  local name = node.name
  if name == "try" then  -- lazy: the first argument that evaluates without error
    for _, a in ipairs(node.args) do
      local ok, v = pcall(eval, a, ctx)
      if ok then return v end
      if not values.is_error(v) then error(v, 0) end
    end
    fail_node(node, "try(): no argument could be evaluated")
  end
  local fn = (ctx.functions and ctx.functions[name]) or functions[name]
  if not fn then fail_node(node, "call to unknown function \"%s\"", name) end
  local args = { n = 0 }
  for i, a in ipairs(node.args) do
    local v = eval(a, ctx)
    if node.expand and i == #node.args then
      if not is_list(v) and not (type(v) == "table" and next(v) == nil) then
        fail_node(a, "the argument before \"...\" must be a list, got %s", type_name(v))
      end
      for _, item in ipairs(v) do
        args.n = args.n + 1
        args[args.n] = item
      end
    else
      args.n = args.n + 1
      args[args.n] = v
    end
  end
  local ok, res = pcall(fn, args, ctx)
  if not ok then
    if values.is_error(res) then error(res, 0) end
    local msg = tostring(res):gsub("^[^:\n]*:%d+: ", "")
    fail_node(node, "%s(): %s", name, msg)
  end
  if res == nil then return NULL end
  return res
end

local ARITH = {
  ["+"] = function(a, b) return a + b end,
  ["-"] = function(a, b) return a - b end,
  ["*"] = function(a, b) return a * b end,
}

-- eval_binop(node, ctx) -> the value of l op r (&& and || short-circuit; == compares deeply).
local function eval_binop(node, ctx)
  local op = node.op
  if op == "&&" or op == "||" then
    local l = to_bool(eval(node.l, ctx), node.l, "the left operand of " .. op)
    if op == "&&" and not l then return false end
    if op == "||" and l then return true end
    return to_bool(eval(node.r, ctx), node.r, "the right operand of " .. op)
  end
  local l, r = eval(node.l, ctx), eval(node.r, ctx)
  if op == "==" then return deep_equal(l, r) end
  if op == "!=" then return not deep_equal(l, r) end
  local a = to_number(l, node.l, "the left operand of " .. op)
  local b = to_number(r, node.r, "the right operand of " .. op)
  if ARITH[op] then return ARITH[op](a, b) end
  if op == "/" then
    if b == 0 then fail_node(node, "division by zero") end
    local q = a / b
    if math.type(a) == "integer" and math.type(b) == "integer" and a % b == 0 then q = a // b end
    return q
  end
  if op == "%" then
    if b == 0 then fail_node(node, "modulo by zero") end
    return math.fmod(a, b)
  end
  if op == "<" then return a < b end
  if op == ">" then return a > b end
  if op == "<=" then return a <= b end
  if op == ">=" then return a >= b end
  fail_node(node, "unknown operator %s", op)
end

local EVAL = {
  num = function(node) return node.v end,
  bool = function(node) return node.v end,
  null = function() return NULL end,
  str = function(node) return node.v end,
  paren = function(node, ctx) return eval(node.x, ctx) end,
  tmpl = function(node, ctx)
    local parts = node.parts
    if #parts == 1 then return eval(parts[1].x, ctx) end  -- "${x}" keeps x's type
    local out = {}
    for i, p in ipairs(parts) do
      if type(p) == "string" then
        out[i] = p
      else
        local v = eval(p.x, ctx)
        if v == NULL then fail_node(p, "cannot interpolate null") end
        if type(v) == "table" then
          fail_node(p, "cannot interpolate a %s into a string", type_name(v))
        end
        out[i] = to_string(v, p, "interpolated value")
      end
    end
    return table.concat(out)
  end,
  var = function(node, ctx)
    -- The namespaces (var, local, data, atlas, each) are only reached through
    -- traversals; alone, they are enum-like words like any other unknown
    -- bare identifier (format = atlas).
    if IS_ROOT_FIELD[node.name] then return node.name end
    local v = root_value(ctx, node.name)
    if v ~= nil then return v end
    return node.name
  end,
  attr = function(node, ctx)
    local root = root_of(node)
    local base
    if node.obj == root then
      base = root_value(ctx, root.name)
      if base == nil then fail_node(root, "unknown variable \"%s\"", path_of(node) or root.name) end
    else
      base = eval(node.obj, ctx)
    end
    return lookup(base, node.name, node, ctx)
  end,
  index = function(node, ctx)
    local base
    if node.obj.k == "var" then  -- name[key]: the name must be a root
      base = root_value(ctx, node.obj.name)
      if base == nil then fail_node(node.obj, "unknown variable \"%s\"", node.obj.name) end
    else
      base = eval(node.obj, ctx)
    end
    local key = eval(node.key, ctx)
    if type(key) == "string" and is_list(base) then
      key = to_number(key, node.key, "a list index")
    elseif type(key) ~= "string" and type(key) ~= "number" then
      fail_node(node.key, "an index must be a string or number, got %s", type_name(key))
    end
    return lookup(base, key, node, ctx)
  end,
  call = call_function,
  list = function(node, ctx)
    local out = values.list()
    for i, item in ipairs(node.items) do out[i] = eval(item, ctx) end
    return out
  end,
  object = function(node, ctx)
    local out = {}
    for _, item in ipairs(node.items) do
      local key = to_string(eval(item.key, ctx), item.key, "an object key")
      if out[key] ~= nil then fail_node(item.key, "duplicate object key \"%s\"", key) end
      out[key] = eval(item.value, ctx)
    end
    return out
  end,
  unop = function(node, ctx)
    local v = eval(node.x, ctx)
    if node.op == "!" then return not to_bool(v, node.x, "the operand of !") end
    return -to_number(v, node.x, "the operand of -")
  end,
  binop = eval_binop,
  cond = function(node, ctx)
    local c = to_bool(eval(node.c, ctx), node.c, "the condition")
    if c then return eval(node.t, ctx) end
    return eval(node.f, ctx)
  end,
}

-- eval(node, ctx) -> value: dispatch on the node kind (raises HCL errors).
eval = function(node, ctx)
  return EVAL[node.k](node, ctx)
end

-- protect(fn, ...) -> fn(...) | nil, msg, code: the public entry points do not raise.
local function protect(fn, ...)
  local ok, res = pcall(fn, ...)
  if ok then return res end
  if values.is_error(res) then return nil, res.msg, res.code end
  return nil, tostring(res), "EHCL"
end

--- hcl.eval_expr(expr, ctx) -> value | nil, msg, "EHCL"   (null is hcl.null)
function M.eval_expr(expr, ctx)
  return protect(eval, expr, ctx or {})
end

--- hcl.value(expr, ctx) -> value, raising on error (for lazy resolvers and functions)
function M.value(expr, ctx)
  return eval(expr, ctx or {})
end

-- eval_body(body, ctx) -> { attrs=, pos=, blocks=, file= } with every attribute evaluated.
local function eval_body(body, ctx)
  local tree = { attrs = {}, pos = {}, blocks = {}, file = body.file }
  for _, attr in ipairs(body.attrs) do
    local v = eval(attr.expr, ctx)
    if v ~= NULL then tree.attrs[attr.name] = v end
    local line, col = where(attr.expr.src, attr.s)
    tree.pos[attr.name] = { line = line, col = col }
  end
  for _, block in ipairs(body.blocks) do
    local sub = eval_body(block.body, ctx)
    sub.type = block.type
    sub.labels = block.labels
    sub.line, sub.col = where(block.src, block.s)
    sub.file = block.src.file
    tree.blocks[#tree.blocks + 1] = sub
  end
  return tree
end

--- hcl.evaluate(body_or_block, ctx) -> tree | nil, msg, "EHCL"
function M.evaluate(node, ctx)
  ctx = ctx or {}
  if node.body then  -- a parsed block
    return protect(function()
      local tree = eval_body(node.body, ctx)
      tree.type, tree.labels = node.type, node.labels
      tree.line, tree.col = where(node.src, node.s)
      return tree
    end)
  end
  return protect(eval_body, node, ctx)
end

--- hcl.blocks_of(tree_or_body, type) -> list of the (evaluated or parsed) blocks of that type
function M.blocks_of(t, typ)
  local out = {}
  for _, b in ipairs(t.blocks) do
    if b.type == typ then out[#out + 1] = b end
  end
  return out
end

-- the list of root names is exposed for documentation and tests
M.ROOTS = ROOT_FIELDS

return M
