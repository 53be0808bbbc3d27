-- bench/lib/diff_gen.lua N VARIANT: print a generated schema of N tables (with indexes,
-- foreign keys, views and functions) as SQL. VARIANT "base" or "modified" (about 5% of
-- the objects changed: added columns, type changes, dropped and added indexes, changed
-- views and functions, a dropped and an added table).
local n = assert(tonumber(arg[1]), "usage: diff_gen.lua N base|modified")
local modified = arg[2] == "modified"
local out = {}
local function w(s) out[#out + 1] = s end
w("CREATE TYPE status AS ENUM ('new', 'active', 'closed'" .. (modified and ", 'archived'" or "") .. ");")
for i = 1, n do
  -- one transaction per 100 tables: fast to load, within the server's lock table
  if i % 100 == 1 then w("BEGIN;") end
  local t = ("t_%05d"):format(i)
  if not (modified and i == n) then
    local cols = { "id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY" }
    if i > 1 then cols[#cols + 1] = ("parent_id bigint REFERENCES t_%05d (id) ON DELETE CASCADE"):format(i - 1) end
    cols[#cols + 1] = "name text NOT NULL"
    cols[#cols + 1] = (modified and i % 100 == 0) and "amount numeric(14,2) DEFAULT 0" or "amount numeric(12,2) DEFAULT 0"
    cols[#cols + 1] = "state status DEFAULT 'new'"
    cols[#cols + 1] = "created_at timestamptz NOT NULL DEFAULT now()"
    if modified and i % 50 == 0 then cols[#cols + 1] = "note text" end
    cols[#cols + 1] = "CHECK (amount >= 0)"
    w(("CREATE TABLE %s (%s);"):format(t, table.concat(cols, ", ")))
    if not (modified and i % 70 == 0) then w(("CREATE INDEX %s_name ON %s (name);"):format(t, t)) end
    if modified and i % 90 == 0 then w(("CREATE INDEX %s_created ON %s (created_at) WHERE amount > 0;"):format(t, t)) end
    if i % 10 == 0 then
      local where = (modified and i % 200 == 0) and "amount > 10" or "amount > 0"
      w(("CREATE VIEW v_%05d AS SELECT id, name, amount FROM %s WHERE %s;"):format(i, t, where))
      w(("CREATE FUNCTION f_%05d(x integer) RETURNS integer LANGUAGE sql IMMUTABLE AS 'SELECT x + %d';")
        :format(i, (modified and i % 300 == 0) and i + 1 or i))
    end
  end
  if i % 100 == 0 or i == n then w("COMMIT;") end
end
if modified then w("CREATE TABLE extra (id integer PRIMARY KEY, t_ref bigint REFERENCES t_00001 (id));") end
io.write(table.concat(out, "\n"), "\n")
