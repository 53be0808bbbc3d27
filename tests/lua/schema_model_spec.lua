-- schema_model_spec.lua: dbhost.schema.model (comparison, quoting) and the planner on
-- hand-made models (no database).
local model = require "dbhost.schema.model"
local diff = require "dbhost.schema.diff"

local function table_model(cols, extra)
  local m = model.new()
  m.schemas.public = { name = "public", grants = {} }
  local t = { schema = "public", name = "t", parents = {}, options = {}, columns = {}, constraints = {},
              triggers = {}, policies = {}, grants = {} }
  for i, c in ipairs(cols) do
    c._order = i
    t.columns[c.name] = c
  end
  for k, v in pairs(extra or {}) do t[k] = v end
  m.tables["public.t"] = t
  return m
end

describe("schema model", function()
  it("quotes identifiers as quote_ident does", function()
    assert.equal("users", model.ident("users"))
    assert.equal('"User"', model.ident("User"))
    assert.equal('"select"', model.ident("select"))
    assert.equal('"a""b"', model.ident('a"b'))
    assert.equal('public."Order"', model.qname("public", "Order"))
    assert.equal("'it''s'", model.literal("it's"))
  end)

  it("compares equal models as equal, ignoring column order", function()
    local a = table_model { { name = "id", type = "integer" }, { name = "x", type = "text" } }
    local b = table_model { { name = "x", type = "text" }, { name = "id", type = "integer" } }
    assert.is_true(model.compare(a, b))
  end)

  it("lists differences readably", function()
    local a = table_model { { name = "id", type = "integer" }, { name = "old", type = "text" } }
    local b = table_model { { name = "id", type = "bigint" }, { name = "new", type = "text" } }
    local ok, d = model.compare(a, b)
    assert.is_nil(ok)
    assert.same({
      "table public.t: column id type integer, want bigint",
      "table public.t: column new missing",
      "table public.t: unexpected column old",
    }, d)
  end)

  it("compares grants and options as sets", function()
    local a = table_model({ { name = "id", type = "integer" } }, { options = { "a=1", "b=2" }, grants = { "x SELECT", "y SELECT" } })
    local b = table_model({ { name = "id", type = "integer" } }, { options = { "b=2", "a=1" }, grants = { "y SELECT", "x SELECT" } })
    assert.is_true(model.compare(a, b))
  end)
end)

describe("schema diff (models only)", function()
  it("plans nothing for equal models", function()
    local a = table_model { { name = "id", type = "integer" } }
    local plan = assert(diff.plan(a, a))
    assert.equal(0, #plan.statements)
    assert.equal("", diff.render(plan))
  end)

  it("marks a dropped column destructive and hints at a rename", function()
    local a = table_model { { name = "id", type = "integer" }, { name = "nm", type = "text" } }
    local b = table_model { { name = "id", type = "integer" }, { name = "name", type = "text" } }
    local plan = assert(diff.plan(a, b))
    assert.equal("ALTER TABLE public.t DROP COLUMN nm", plan.statements[1].sql)
    assert.is_true(plan.statements[1].destructive)
    assert.matches("RENAME COLUMN nm TO name", plan.statements[1].rename_hint, 1, true)
    assert.equal("ALTER TABLE public.t ADD COLUMN name text", plan.statements[2].sql)
    assert.is_false(plan.statements[2].destructive)
    assert.equal(1, #plan.notes)
  end)

  it("adds enum values, in txmode none only when the new value is used", function()
    local a = table_model { { name = "m", type = "public.mood", default = "'ok'::public.mood" } }
    a.types["public.mood"] = { schema = "public", name = "mood", kind = "enum", values = { "sad", "ok" }, grants = {} }
    local b = table_model { { name = "m", type = "public.mood", default = "'ok'::public.mood" } }
    b.types["public.mood"] = { schema = "public", name = "mood", kind = "enum", values = { "meh", "sad", "ok" }, grants = {} }
    local plan = assert(diff.plan(a, b))
    assert.equal("ALTER TYPE public.mood ADD VALUE 'meh' BEFORE 'sad'", plan.statements[1].sql)
    assert.is_false(plan.txmode_none)
    b.tables["public.t"].columns.m.default = "'meh'::public.mood"
    plan = assert(diff.plan(a, b))
    assert.is_true(plan.txmode_none)
    assert.equal("none", plan.statements[1].txmode)
    local text = diff.render(plan)
    local head = "-- atlas:txmode none\n\n-- Add value to enum type: public.mood\n"
      .. "ALTER TYPE public.mood ADD VALUE 'meh' BEFORE 'sad';\n"
    assert.equal(head, text:sub(1, #head))
  end)

  it("moves the columns of a domain whose base type changes off it and back", function()
    local function with_domain(base)
      local m = table_model { { name = "code", type = "public.short_code", notnull = true,
                                default = "'x'::character varying" } }
      m.types["public.short_code"] = { schema = "public", name = "short_code", kind = "domain", base_type = base,
                                       checks = {}, grants = { "PUBLIC USAGE" } }
      return m
    end
    local plan = assert(diff.plan(with_domain("character varying(10)"), with_domain("character varying(20)")))
    local sqls = {}
    for i, st in ipairs(plan.statements) do sqls[i] = st.sql end
    assert.same({
      "ALTER TABLE public.t ALTER COLUMN code DROP DEFAULT",
      "ALTER TABLE public.t ALTER COLUMN code TYPE character varying(10) USING code::character varying(10)",
      "DROP DOMAIN public.short_code",
      "CREATE DOMAIN public.short_code AS character varying(20)",
      "ALTER TABLE public.t ALTER COLUMN code TYPE public.short_code USING code::public.short_code",
      "ALTER TABLE public.t ALTER COLUMN code SET DEFAULT 'x'::character varying",
    }, sqls)
  end)

  it("rebuilds a domain over an enum that loses a value, through text", function()
    local function with_enum(values)
      local m = table_model { { name = "main", type = "public.primary_colour" } }
      m.types["public.colour"] = { schema = "public", name = "colour", kind = "enum", values = values,
                                   grants = { "PUBLIC USAGE" } }
      m.types["public.primary_colour"] = { schema = "public", name = "primary_colour", kind = "domain",
        base_type = "public.colour", default = "'red'::public.colour", checks = {}, grants = { "PUBLIC USAGE" } }
      m.deps = { { from = "type:public.primary_colour", to = "type:public.colour" } }
      return m
    end
    local plan = assert(diff.plan(with_enum { "red", "blue", "mauve" }, with_enum { "red", "blue" }))
    local sqls = {}
    for i, st in ipairs(plan.statements) do sqls[i] = st.sql end
    assert.same({
      "ALTER TABLE public.t ALTER COLUMN main TYPE text USING main::text",
      "DROP DOMAIN public.primary_colour",
      "ALTER TYPE public.colour RENAME TO colour_old",
      "CREATE TYPE public.colour AS ENUM ('red', 'blue')",
      "CREATE DOMAIN public.primary_colour AS public.colour DEFAULT 'red'::public.colour",
      "ALTER TABLE public.t ALTER COLUMN main TYPE public.primary_colour USING main::public.primary_colour",
      "DROP TYPE public.colour_old",
    }, sqls)
  end)

  it("compares and plans comments on composite type attributes", function()
    local function with_pair(comments)
      local m = model.new()
      m.schemas.public = { name = "public", grants = {} }
      m.types["public.pair"] = { schema = "public", name = "pair", kind = "composite", grants = { "PUBLIC USAGE" },
                                 attributes = { "x integer", '"Y" text' }, columns = {} }
      for name, c in pairs(comments) do m.types["public.pair"].columns[name] = { name = name, comment = c } end
      return m
    end
    local a, b = with_pair { x = "old" }, with_pair { Y = "why" }
    local ok, d = model.compare(a, b)
    assert.is_nil(ok)
    assert.same({ "type public.pair: column Y missing", "type public.pair: unexpected column x" }, d)
    local plan = assert(diff.plan(a, b))
    local sqls = {}
    for i, st in ipairs(plan.statements) do sqls[i] = st.sql end
    assert.same({ "COMMENT ON COLUMN public.pair.x IS NULL", "COMMENT ON COLUMN public.pair.\"Y\" IS 'why'" }, sqls)
    -- a new type gets its attribute comments after CREATE TYPE
    plan = assert(diff.plan(with_pair {}, b))
    assert.equal(1, #plan.statements)
    local base = model.new()
    base.schemas.public = { name = "public", grants = {} }
    plan = assert(diff.plan(base, b))
    assert.equal('CREATE TYPE public.pair AS (x integer, "Y" text)', plan.statements[1].sql)
    assert.equal("COMMENT ON COLUMN public.pair.\"Y\" IS 'why'", plan.statements[2].sql)
  end)

  it("adds USING for conversions without an implicit cast", function()
    local a = table_model { { name = "q", type = "text" }, { name = "n", type = "integer" } }
    local b = table_model { { name = "q", type = "integer" }, { name = "n", type = "bigint" } }
    local plan = assert(diff.plan(a, b))
    local sqls = {}
    for _, s in ipairs(plan.statements) do sqls[#sqls + 1] = s.sql end
    assert.same({ "ALTER TABLE public.t ALTER COLUMN q TYPE integer USING q::integer",
                  "ALTER TABLE public.t ALTER COLUMN n TYPE bigint" }, sqls)
  end)
end)
