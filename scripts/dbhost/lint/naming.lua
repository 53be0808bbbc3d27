--- Analyzer "naming" (Atlas's NM101-NM106), on when atlas.hcl's lint block has a
-- `naming { match = "..." message = "..." index { match = "..." } … }` block;
-- plus squawk's identifier-too-long and require-table-schema (opt-in).
local ast = require "dbhost.linter.ast"
local errors = require "dbhost.errors"

-- lua_pattern(re) -> a Lua pattern for the regular-expression subset Atlas users write:
-- anchors, character classes, . * + ?, \d \w \s; alternation and counted repeats are refused.
local function lua_pattern(re)
  if re:find("[|{}()]") then
    errors.config("lint naming: pattern %q uses | { } or ( ), which dbhost does not support", re)
  end
  local out = re:gsub("\\d", "%%d"):gsub("\\w", "[%%w_]"):gsub("\\s", "%%s")
  out = out:gsub("%-", "%%-"):gsub("\\%.", "%%.")
  -- inside a class a regex '-' is a range: undo the escape there
  out = out:gsub("%[(.-)%]", function(c) return "[" .. c:gsub("%%%-", "-") .. "]" end)
  return out
end

-- names(st, kind) -> list of names of that kind the statement creates
local function created(st, kind)
  local out = {}
  local t, f = st.type, st.node
  if kind == "schema" and t == "CreateSchemaStmt" then out[#out + 1] = f.schemaname end
  if kind == "table" and t == "CreateStmt" then out[#out + 1] = ast.relname(f.relation) end
  if kind == "index" and t == "IndexStmt" and f.idxname then out[#out + 1] = f.idxname end
  if kind == "column" or kind == "foreign_key" or kind == "check" then
    local cons = {}
    local elts = t == "CreateStmt" and f.tableElts or {}
    for _, e in ipairs(elts) do
      local et, ef = ast.unwrap(e)
      if et == "ColumnDef" then
        if kind == "column" then out[#out + 1] = ef.colname end
        for _, c in ipairs(ast.column_constraints(ef)) do cons[#cons + 1] = c end
      elseif et == "Constraint" then
        cons[#cons + 1] = ef
      end
    end
    for _, cmd in ipairs(ast.alter_cmds(st)) do
      local ct, cf = ast.cmd_def(cmd)
      if ct == "ColumnDef" and cmd.subtype == "AT_AddColumn" then
        if kind == "column" then out[#out + 1] = cf.colname end
        for _, c in ipairs(ast.column_constraints(cf)) do cons[#cons + 1] = c end
      elseif ct == "Constraint" then
        cons[#cons + 1] = cf
      end
    end
    local want = kind == "foreign_key" and "CONSTR_FOREIGN" or "CONSTR_CHECK"
    if kind ~= "column" then
      for _, c in ipairs(cons) do
        if c.contype == want and c.conname then out[#out + 1] = c.conname end
      end
    end
  end
  return out
end

local function naming_rule(code, kind, label)
  return {
    code = code, name = "naming-" .. kind:gsub("_", "-"), severity = "warning",
    on = { "CreateSchemaStmt", "CreateStmt", "IndexStmt", "AlterTableStmt" },
    summary = label .. " name violates the naming policy",
    why = "The project's atlas.hcl sets a naming policy for " .. label:lower() .. "s; consistent names make "
      .. "schemas readable and tooling predictable.",
    advice = "Rename it to match the pattern in atlas.hcl's lint { naming { … } } block.",
    example = "lint {\n  naming {\n    match = \"^[a-z_]+$\"\n    message = \"must be lower snake case\"\n  }\n}",
    check = function(st, ctx)
      local cfg = ctx.config.naming
      if type(cfg) ~= "table" then return nil end
      local sub = type(cfg[kind]) == "table" and cfg[kind] or {}
      local re = sub.match or cfg.match
      if not re then return nil end
      ctx.naming_patterns = ctx.naming_patterns or {}
      local pat = ctx.naming_patterns[re] or lua_pattern(re)
      ctx.naming_patterns[re] = pat
      local out = {}
      for _, n in ipairs(created(st, kind)) do
        if not n:find(pat) then
          out[#out + 1] = ("%s name %s %s"):format(label, ast.q(n), sub.message or cfg.message or ("does not match " .. re))
        end
      end
      return out
    end,
  }
end

return {
  name = "naming",
  rules = {
    naming_rule("NM101", "schema", "Schema"),
    naming_rule("NM102", "table", "Table"),
    naming_rule("NM103", "column", "Column"),
    naming_rule("NM104", "index", "Index"),
    naming_rule("NM105", "foreign_key", "Foreign key"),
    naming_rule("NM106", "check", "Check constraint"),
    {
      code = "identifier-too-long", analyzer = "identifiers", severity = "warning",
      on = { "CreateSchemaStmt", "CreateStmt", "IndexStmt", "AlterTableStmt", "ViewStmt", "RenameStmt",
             "CreateTableAsStmt", "CreateSeqStmt", "CreateEnumStmt", "CompositeTypeStmt", "CreateDomainStmt",
             "CreateFunctionStmt", "CreateTrigStmt" },
      summary = "identifier longer than 63 bytes",
      why = "PostgreSQL silently truncates identifiers to 63 bytes, so the object gets a different name "
        .. "than the one written, and two long names can collide.",
      advice = "Shorten the name to 63 bytes or less.",
      example = "CREATE INDEX orders_customer_created_idx ON orders (customer_id, created_at);",
      -- The parser has already cut names to 63 bytes: look at the statement's own words,
      -- outside string literals and comments.
      check = function(st)
        local out, seen = {}, {}
        local text = st.text:gsub("%-%-[^\n]*", " "):gsub("/%*.-%*/", " "):gsub("'[^']*'", "''")
        local function check_word(w)
          if #w > 63 and not seen[w] then
            seen[w] = true
            out[#out + 1] = ("Identifier %s is %d bytes; PostgreSQL keeps the first 63"):format(ast.q(w), #w)
          end
        end
        for w in text:gmatch('"([^"]+)"') do check_word(w) end
        for w in text:gsub('"[^"]*"', " "):gmatch("[%a_\128-\255][%w_$\128-\255]*") do check_word(w) end
        return out
      end,
    },
    {
      code = "require-table-schema", on = { "CreateStmt", "AlterTableStmt", "IndexStmt" }, analyzer = "identifiers", severity = "warning", opt_in = true,
      summary = "table named without its schema",
      why = "An unqualified name resolves through search_path, which may differ between the runner and "
        .. "the application.",
      advice = "Qualify table names with their schema.",
      example = "CREATE TABLE public.orders (id bigint);",
      check = function(st)
        local rv = (st.type == "CreateStmt" or st.type == "AlterTableStmt" or st.type == "IndexStmt")
          and st.node.relation
        if rv and not rv.schemaname then
          return ("Table %s is not schema-qualified"):format(ast.q(rv.relname))
        end
      end,
    },
  },
}
