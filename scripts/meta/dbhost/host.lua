---@meta dbhost.host
-- What Lua sees of host/main.c: what only the dbhost program knows. Not
-- available in the stock lua5.4 interpreter (bindings load there from
-- build/lua/dbhost.so, but the bundle lives in the dbhost binary).
--
-- The host also: preloads every dbhost.* binding; finds bundled scripts with a
-- searcher placed after package.path (so a project's scripts/ win); adds the
-- folder where the build found lua-cjson to package.cpath; makes globals strict
-- (reading or writing an undeclared global raises); turns a raised table
-- { message =, status = } into "dbhost: message" and exit status `status`.

---@class dbhost.host
---@field version string dbhost's version, e.g. "0.1.0"
---@field lua_version string e.g. "Lua 5.4.6"
local host = {}

--- The paths of the bundled scripts, sorted ("commands/help.lua", "dbhost/main.lua", ...).
---@return string[]
function host.bundle_list() end

--- A bundled script's text.
---@param path string e.g. "commands/help.lua"
---@return string|nil text nil when there is no such script
function host.bundle_read(path) end

--- Load (compile, not run) a bundled script; raises when there is none or it does not compile.
---@param path string
---@return function chunk
function host.bundle_load(path) end

return host
