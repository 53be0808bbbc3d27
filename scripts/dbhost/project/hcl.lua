--- dbhost.project.hcl: a pure-Lua reader for HCL native syntax, as used by atlas.hcl.
--
-- Two steps, like HCL itself:
--
--   hcl.parse(text, filename) -> body | nil, msg, "EHCL"
--     Syntax only. Expressions stay as AST nodes so that they can be evaluated
--     later, once variables are known. Messages read "file:line:col: what".
--
--   hcl.evaluate(body_or_block, ctx) -> tree | nil, msg, "EHCL"
--   hcl.eval_expr(expr, ctx)         -> value | nil, msg, "EHCL"
--     Evaluates every attribute. A tree is
--       { attrs = { name = value }, pos = { name = { line=, col= } },
--         blocks = { block_tree, ... }, file=, line=, col= }
--     and a block tree additionally has `type` and `labels = { "l1", ... }`.
--     An attribute whose value is null is left out of `attrs` (null = unset).
--
-- Values: strings, numbers, booleans, `hcl.null` (only inside lists and
-- objects), lists (Lua arrays with the metatable `hcl.List`; HCL index 0 is
-- Lua index 1) and objects (plain tables with string keys).
--
-- ctx (every field optional):
--   var, ["local"], data, atlas, each   values of the root names (tables)
--   variables = { name = value }        further root names
--   functions = { name = fn(args, ctx) -> value }  added to / overriding
--                                       hcl.functions; args is a list with args.n
--   getenv = fn(name) -> string|nil     used by getenv() (default os.getenv)
--   dir = "path"                        base directory for file() (default ".")
-- A root table may compute entries lazily with an __index metamethod; such a
-- resolver reports errors with hcl.raise(msg).
--
-- A bare identifier that is not a `ctx.variables` name evaluates to its own
-- name (`format = atlas` is "atlas", even though atlas.env exists), as Atlas
-- does for enum-like values; the namespaces are only used with a traversal.
-- Not supported: for expressions, splats, template directives (%{...}).
--
-- The work is done in dbhost/project/hcl/: parse.lua (lexer, templates,
-- expressions, bodies), eval.lua (the evaluator), functions.lua (the function
-- library, with gofmt.lua for format() and gourl.lua for the url*() functions)
-- and values.lua (null, lists, errors). This module gathers their API.
local values = require "dbhost.project.hcl.values"
local parse = require "dbhost.project.hcl.parse"
local eval = require "dbhost.project.hcl.eval"

return {
  -- parse
  MAX_DEPTH = parse.MAX_DEPTH,   -- deepest nesting the parser accepts
  parse = parse.parse,           -- (text, filename) -> body | nil, msg, "EHCL"
  position = parse.position,     -- (node) -> line, col
  -- values
  null = values.null,
  List = values.List,
  list = values.list,            -- (t) -> t marked as a list
  is_list = values.is_list,
  type_name = values.type_name,  -- (v) -> "string", "number", "bool", "null", "list", "object"
  deep_equal = values.deep_equal,
  raise = values.raise,          -- (msg, code) raises an evaluation error
  is_error = values.is_error,
  -- evaluation
  evaluate = eval.evaluate,      -- (body_or_block, ctx) -> tree | nil, msg, "EHCL"
  eval_expr = eval.eval_expr,    -- (expr, ctx) -> value | nil, msg, "EHCL"
  value = eval.value,            -- (expr, ctx) -> value, raising
  blocks_of = eval.blocks_of,    -- (tree_or_body, type) -> blocks
  ROOTS = eval.ROOTS,            -- the root names: var, local, data, atlas, each
  functions = require "dbhost.project.hcl.functions",
}
