-- floor_apply.lua URL DIR: the floor for applying a migration directory: every
-- file sent whole over one connection, one transaction per file, no bookkeeping.
local pg = require "dbhost.pg"
local fs = require "dbhost.fs"
local url, dir = arg[1], arg[2]
local conn = assert(pg.connect(url))
for _, name in ipairs(assert(fs.list(dir))) do
  if name:match("%.sql$") then
    local text = assert(fs.read(dir .. "/" .. name))
    assert(conn:exec("BEGIN;\n" .. text .. "\nCOMMIT;"))
  end
end
conn:close()
