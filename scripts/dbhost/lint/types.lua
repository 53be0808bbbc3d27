--- Analyzer "types": column types and definitions. squawk's type rules (opt-in
-- here: they are policy, not hazards), Atlas's PG110 column padding (opt-in),
-- strong_migrations' json column and wide index, squawk's duplicate-column and
-- enum-ordering checks.
local ast = require "dbhost.linter.ast"

-- columns_added(st) -> { { cd = ColumnDef, table = name } } from CREATE TABLE and ADD COLUMN
local function columns_added(st)
  if st._columns_added then return st._columns_added end
  local out = {}
  st._columns_added = out
  if st.type == "CreateStmt" then
    for _, e in ipairs(st.node.tableElts or {}) do
      local t, cd = ast.unwrap(e)
      if t == "ColumnDef" then out[#out + 1] = { cd = cd, table = ast.relname(st.node.relation) } end
    end
  else
    for _, cmd in ipairs(ast.alter_cmds(st)) do
      local t, cd = ast.cmd_def(cmd)
      if t == "ColumnDef" and (cmd.subtype == "AT_AddColumn" or cmd.subtype == "AT_AlterColumnType") then
        out[#out + 1] = { cd = cd, table = ast.relname(st.node.relation), name = cd.colname or cmd.name }
      end
    end
  end
  return out
end

-- type_rule(code, summary, types, msg, why, advice, example) -> rule (opt-in)
local function type_rule(code, summary, types, why, advice, example, aliases)
  local set = {}
  for _, t in ipairs(types) do set[t] = true end
  return {
    code = code, aliases = aliases, on = { "CreateStmt", "AlterTableStmt" }, severity = "warning", opt_in = true,
    summary = summary, why = why, advice = advice,
    example = example,
    check = function(st)
      local out = {}
      for _, c in ipairs(columns_added(st)) do
        local tn = ast.type_name(c.cd.typeName)
        if set[tn] then
          out[#out + 1] = ("Column %s of %s uses type %s"):format(ast.q(c.name or c.cd.colname), ast.q(c.table), tn)
        end
      end
      return out
    end,
  }
end

-- Storage of fixed-width types: { size, alignment } (PostgreSQL's typlen/typalign).
local FIXED = {
  bool = { 1, 1 }, char = { 1, 1 }, int2 = { 2, 2 }, int4 = { 4, 4 }, int8 = { 8, 8 },
  float4 = { 4, 4 }, float8 = { 8, 8 }, date = { 4, 4 }, time = { 8, 8 }, timestamp = { 8, 8 },
  timestamptz = { 8, 8 }, timetz = { 12, 8 }, interval = { 16, 8 }, money = { 8, 8 }, oid = { 4, 4 },
  uuid = { 16, 1 }, serial = { 4, 4 }, bigserial = { 8, 8 }, smallserial = { 2, 2 },
  serial4 = { 4, 4 }, serial8 = { 8, 8 }, serial2 = { 2, 2 },
}

-- row_width(cols) -> bytes of the fixed part with alignment padding (variable-length: 1-byte aligned)
local function row_width(cols)
  local off = 0
  for _, c in ipairs(cols) do
    local a = c[2]
    off = (off + a - 1) // a * a + c[1]
  end
  return off
end

return {
  name = "types",
  rules = {
    type_rule("ban-char-field", "char(n) column", { "bpchar" },
      "char(n) pads values with spaces, compares surprisingly and is no faster than text.",
      "Use text (or varchar) with a CHECK on the length if one is needed.",
      "ALTER TABLE t ADD COLUMN code text CHECK (length(code) <= 3);"),
    type_rule("prefer-bigint-over-int", "int column", { "int4", "serial", "serial4" },
      "A 32-bit integer key runs out at 2.1 billion, and widening it later rewrites the table.",
      "Use bigint (bigserial / bigint identity) for keys and counters.",
      "CREATE TABLE t (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY);"),
    type_rule("prefer-bigint-over-smallint", "smallint column", { "int2", "smallserial", "serial2" },
      "smallint overflows at 32767; widening later rewrites the table.",
      "Use bigint unless the domain is small and fixed.",
      "ALTER TABLE t ADD COLUMN n bigint;"),
    type_rule("prefer-identity", "serial column", { "serial", "bigserial", "smallserial", "serial4", "serial8", "serial2" },
      "serial creates a separately owned sequence with awkward permissions and dump behaviour.",
      "Use GENERATED { ALWAYS | BY DEFAULT } AS IDENTITY.",
      "CREATE TABLE t (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY);"),
    type_rule("prefer-text-field", "varchar(n) column", { "varchar" },
      "Changing the limit of varchar(n) later may need ACCESS EXCLUSIVE; text with a CHECK can be changed "
        .. "with NOT VALID and VALIDATE.",
      "Use text and a CHECK (length(col) <= n).",
      "ALTER TABLE t ADD COLUMN name text CHECK (length(name) <= 100);"),
    type_rule("prefer-timestamp-tz", "timestamp without time zone column", { "timestamp" },
      "timestamp without time zone drops the offset; values become ambiguous across time zones.",
      "Use timestamptz.", "ALTER TABLE t ADD COLUMN created_at timestamptz NOT NULL DEFAULT now();",
      { "prefer-timestamptz" }),
    {
      code = "DH109", on = { "CreateStmt", "AlterTableStmt" }, name = "json-column", severity = "info",
      summary = "json column",
      why = "json has no equality operator, so DISTINCT, GROUP BY and UNION on the row fail, and it is "
        .. "re-parsed on every access.",
      advice = "Use jsonb.",
      example = "ALTER TABLE events ADD COLUMN payload jsonb;",
      check = function(st)
        local out = {}
        for _, c in ipairs(columns_added(st)) do
          if ast.type_name(c.cd.typeName) == "json" then
            out[#out + 1] = ("Column %s of %s uses json; prefer jsonb"):format(ast.q(c.name or c.cd.colname), ast.q(c.table))
          end
        end
        return out
      end,
    },
    {
      code = "DH116", on = { "CreateEnumStmt" }, name = "create-enum", severity = "info", opt_in = true,
      summary = "enum type created",
      why = "Enum values can be added but not removed or reordered without rebuilding the type and every "
        .. "column using it; a lookup table or a CHECK constraint is easier to change later.",
      advice = "Use a text column with a CHECK constraint, or a lookup table with a foreign key.",
      example = "ALTER TABLE orders ADD COLUMN status text NOT NULL DEFAULT 'new'\n"
        .. "  CHECK (status IN ('new', 'paid', 'shipped'));",
      check = function(st)
        local names = ast.strings(st.node.typeName)
        return ("Enum type %s created"):format(ast.q(names[#names] or "?"))
      end,
    },
    {
      code = "DH110", on = { "IndexStmt" }, name = "index-too-many-columns", severity = "info", opt_in = true,
      summary = "index on more than three columns",
      why = "Indexes on many columns are large and rarely used beyond their first columns.",
      advice = "Index the leading columns the queries filter on; check with EXPLAIN.",
      example = "CREATE INDEX CONCURRENTLY orders_customer_created_idx ON orders (customer_id, created_at);",
      check = function(st)
        if st.type == "IndexStmt" and #(st.node.indexParams or {}) > 3 then
          return ("Index %s has %d columns"):format(ast.q(st.node.idxname or "?"), #st.node.indexParams)
        end
      end,
    },
    {
      code = "PG110", on = { "CreateStmt" }, name = "column-padding", severity = "info", opt_in = true,
      summary = "table columns ordered with alignment padding",
      why = "PostgreSQL aligns fixed-width columns (8-byte bigint and timestamps, 4-byte int…); a small "
        .. "column between two wide ones wastes padding bytes in every row.",
      advice = "Order columns from the widest alignment to the narrowest, variable-length ones last.",
      example = "CREATE TABLE t (id bigint, created_at timestamptz, n int, flag bool, name text);",
      check = function(st)
        if st.type ~= "CreateStmt" then return nil end
        local cols = {}
        for _, c in ipairs(columns_added(st)) do
          local tn = ast.type_name(c.cd.typeName)
          local fx = FIXED[tn]
          cols[#cols + 1] = fx or { 0, 1 }
        end
        local sorted = {}
        for i, c in ipairs(cols) do sorted[i] = c end
        table.sort(sorted, function(a, b)
          if a[2] ~= b[2] then return a[2] > b[2] end
          return a[1] > b[1]
        end)
        local now, best = row_width(cols), row_width(sorted)
        if best < now then
          return ("Reordering the columns of %s saves %d bytes of padding per row"):format(
            ast.q(ast.relname(st.node.relation)), now - best)
        end
      end,
    },
    {
      code = "ban-duplicate-column-assignments", on = { "CreateStmt", "UpdateStmt" }, severity = "error",
      summary = "same column named twice",
      why = "A column listed twice in CREATE TABLE or assigned twice in UPDATE … SET is an error at run time.",
      advice = "Remove the duplicate.",
      example = "UPDATE t SET a = 1, b = 2;",
      check = function(st)
        local names = {}
        if st.type == "CreateStmt" then
          for _, c in ipairs(columns_added(st)) do names[#names + 1] = c.cd.colname end
        elseif st.type == "UpdateStmt" then
          for _, r in ipairs(st.node.targetList or {}) do
            local _, rt = ast.unwrap(r)
            if rt and rt.name then names[#names + 1] = rt.name end
          end
        end
        local seen = {}
        for _, n in ipairs(names) do
          local k = n:sub(1, 63)
          if seen[k] then return ("Column %s appears twice"):format(ast.q(n)) end
          seen[k] = true
        end
      end,
    },
    {
      code = "require-enum-value-ordering", on = { "AlterEnumStmt" }, severity = "info",
      summary = "enum value added without BEFORE/AFTER",
      why = "ADD VALUE without a position appends the value, so ORDER BY and < on the enum may not follow "
        .. "the intended order.",
      advice = "Say where the value goes with BEFORE or AFTER.",
      example = "ALTER TYPE order_status ADD VALUE 'refunded' AFTER 'paid';",
      check = function(st)
        if st.type == "AlterEnumStmt" and st.node.newVal and not st.node.oldVal and not st.node.newValNeighbor then
          return ("Enum value %s is appended (no BEFORE/AFTER)"):format(ast.q(st.node.newVal))
        end
      end,
    },
  },
}
