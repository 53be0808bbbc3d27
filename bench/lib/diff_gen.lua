-- bench/lib/diff_gen.lua N VARIANT: print a generated schema of N tables as SQL, shaped like
-- an application's: five schemas, 6-12 columns per table, foreign keys, CHECKs, UNIQUEs,
-- partial, expression and GIN indexes, an enum per schema, and per 10 tables a view, a
-- plpgsql function and a trigger using it, with comments. VARIANT "base" or "modified"
-- (about 2% of the objects changed: added columns, a type change, dropped, added and
-- changed indexes, changed views, functions, checks and comments, an enum value, a dropped
-- and an added table).
local n = assert(tonumber(arg[1]), "usage: diff_gen.lua N base|modified")
local modified = arg[2] == "modified"
local out = {}
local function w(s) out[#out + 1] = s end
local SCHEMAS = { "sales", "billing", "catalog", "ops", "people" }
local function changed(i, every) return modified and i % every == 0 end

for k, s in ipairs(SCHEMAS) do
  w(("CREATE SCHEMA %s;"):format(s))
  w(("COMMENT ON SCHEMA %s IS 'the %s domain';"):format(s, s))
  w(("CREATE TYPE %s.state AS ENUM ('new', 'active', 'closed'%s);"):format(s,
    (modified and k == 1) and ", 'archived'" or ""))
end
for i = 1, n do
  -- one transaction per 100 tables: fast to load, within the server's lock table
  if i % 100 == 1 then w("BEGIN;") end
  local s = SCHEMAS[(i - 1) % #SCHEMAS + 1]
  local t = ("%s.t_%05d"):format(s, i)
  local bare = ("t_%05d"):format(i)
  if not (modified and i == n) then
    local cols = { "id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY" }
    -- a foreign key to a table five back (same schema): chains are short in real schemas,
    -- most tables point at a few others
    if i > 5 then
      cols[#cols + 1] = ("ref_id bigint REFERENCES %s.t_%05d (id) ON DELETE CASCADE"):format(s, i - 5 - (i % 3) * 5 > 0
        and i - 5 - (i % 3) * 5 or i - 5)
    end
    cols[#cols + 1] = "code text NOT NULL"
    cols[#cols + 1] = changed(i, 97) and "amount numeric(14,2) NOT NULL DEFAULT 0" or "amount numeric(12,2) NOT NULL DEFAULT 0"
    cols[#cols + 1] = ("state %s.state NOT NULL DEFAULT 'new'"):format(s)
    cols[#cols + 1] = "created_at timestamptz NOT NULL DEFAULT now()"
    local extra = i % 7  -- 6 to 12 columns
    if extra >= 1 then cols[#cols + 1] = "attrs jsonb NOT NULL DEFAULT '{}'" end
    if extra >= 2 then cols[#cols + 1] = "email text" end
    if extra >= 3 then cols[#cols + 1] = "quantity integer CHECK (quantity >= 0)" end
    if extra >= 4 then cols[#cols + 1] = "updated_at timestamptz" end
    if extra >= 5 then cols[#cols + 1] = "tags text[] NOT NULL DEFAULT '{}'" end
    if extra >= 6 then cols[#cols + 1] = "ratio double precision" end
    if changed(i, 53) then cols[#cols + 1] = "note text" end
    cols[#cols + 1] = ("CONSTRAINT %s_amount_check CHECK (amount >= %s)"):format(bare, changed(i, 89) and "-1" or "0")
    cols[#cols + 1] = ("CONSTRAINT %s_code_key UNIQUE (code)"):format(bare)
    w(("CREATE TABLE %s (%s);"):format(t, table.concat(cols, ", ")))
    w(("COMMENT ON TABLE %s IS '%s'; COMMENT ON COLUMN %s.code IS 'business key';"):format(t,
      changed(i, 71) and "renamed thing" or "thing " .. i, t))
    if not changed(i, 67) then w(("CREATE INDEX %s_created ON %s (created_at) WHERE state <> 'closed';"):format(bare, t)) end
    w(("CREATE INDEX %s_lower_code ON %s (lower(code));"):format(bare, t))
    if extra >= 1 then w(("CREATE INDEX %s_attrs ON %s USING gin (attrs);"):format(bare, t)) end
    if changed(i, 59) then w(("CREATE INDEX %s_amount ON %s (amount) WHERE amount > 0;"):format(bare, t)) end
    if i % 10 == 0 then
      local where = changed(i, 110) and "amount > 10" or "amount > 0"
      w(("CREATE VIEW %s.v_%05d AS SELECT id, code, amount FROM %s WHERE %s;"):format(s, i, t, where))
      w(("CREATE FUNCTION %s.touch_%05d() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN NEW.created_at := %s; RETURN NEW; END $$;")
        :format(s, i, changed(i, 130) and "now() - interval '1 second'" or "now()"))
      w(("CREATE TRIGGER %s_touch BEFORE UPDATE ON %s FOR EACH ROW EXECUTE FUNCTION %s.touch_%05d();"):format(bare, t, s, i))
      w(("COMMENT ON VIEW %s.v_%05d IS 'positive amounts';"):format(s, i))
    end
  end
  if i % 100 == 0 or i == n then w("COMMIT;") end
end
if modified then w("CREATE TABLE sales.extra (id integer PRIMARY KEY, t_ref bigint REFERENCES sales.t_00001 (id));") end
io.write(table.concat(out, "\n"), "\n")
