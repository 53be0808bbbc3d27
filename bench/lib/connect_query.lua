-- connect_query.lua URL: one connect and one query (the floor of a no-op apply).
local pg = require "dbhost.pg"
local conn = assert(pg.connect(arg[1]))
assert(conn:exec("SELECT 1"))
conn:close()
