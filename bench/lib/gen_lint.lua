-- Write N migration files of realistic DDL for bench/lint.sh (deterministic).
-- Every file alters tables created by earlier files, so "existing table" rules fire.
local dir, n = ...
n = tonumber(n)
local seed = 4242
local function rand(k)  -- a small LCG, so every run writes the same bytes
  seed = (seed * 1103515245 + 12345) % 2147483648
  return seed % k
end
local types = { "bigint", "integer", "text", "varchar(255)", "timestamptz", "boolean", "numeric(12,2)", "jsonb" }
local tables = {}
for i = 1, n do
  local out = {}
  local t = ("t%04d"):format(i)
  local cols = { "id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY" }
  for c = 1, 3 + rand(6) do cols[#cols + 1] = ("c%d %s"):format(c, types[1 + rand(#types)]) end
  out[#out + 1] = ("CREATE TABLE %s (\n  %s\n);"):format(t, table.concat(cols, ",\n  "))
  out[#out + 1] = ("CREATE INDEX %s_c1_idx ON %s (c1);"):format(t, t)
  if #tables > 0 then
    local old = tables[1 + rand(#tables)]
    local pick = rand(8)
    if pick == 0 then
      out[#out + 1] = ("ALTER TABLE %s ADD COLUMN note text;"):format(old)
    elseif pick == 1 then
      out[#out + 1] = ("CREATE INDEX %s_c2_idx_%d ON %s (c2);"):format(old, i, old)
    elseif pick == 2 then
      out[#out + 1] = ("ALTER TABLE %s ALTER COLUMN c1 SET NOT NULL;"):format(old)
    elseif pick == 3 then
      out[#out + 1] = ("ALTER TABLE %s ADD CONSTRAINT %s_c1_check_%d CHECK (c1 IS NOT NULL) NOT VALID;"):format(old, old, i)
    elseif pick == 4 then
      out[#out + 1] = ("ALTER TABLE %s ADD COLUMN ref_%d bigint REFERENCES %s (id);"):format(t, i, old)
    elseif pick == 5 then
      out[#out + 1] = ("ALTER TABLE %s RENAME COLUMN c1 TO c1_%d;"):format(old, i)
    elseif pick == 6 then
      out[#out + 1] = ("COMMENT ON TABLE %s IS 'table number %d';"):format(old, i)
    else
      out[#out + 1] = ("INSERT INTO %s (c1) SELECT NULL FROM generate_series(1, 10);"):format(t)
    end
  end
  tables[#tables + 1] = t
  local f = assert(io.open(("%s/2026%010d_m%04d.sql"):format(dir, i, i), "wb"))
  f:write(table.concat(out, "\n"), "\n")
  f:close()
end
