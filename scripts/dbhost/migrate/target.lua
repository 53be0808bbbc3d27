--- dbhost.migrate.target: connect to the database a command works on.
--
-- Accepts PostgreSQL URLs as Atlas writes them, including the parameter
-- `search_path=<schema>` that libpq does not know: it is removed from the URL,
-- passed to the server as `options=-c search_path=...`, and reported as the
-- connection's schema (Atlas's "schema scope"). Keyword strings
-- ("host=... dbname=...") pass through unchanged.
local pg = require "dbhost.pg"
local errors = require "dbhost.errors"

local M = {}

local function unescape(s)
  return (s:gsub("%%(%x%x)", function(h) return string.char(tonumber(h, 16)) end))
end

local function escape(s)
  return (s:gsub("[^%w%-%._~]", function(c) return ("%%%02X"):format(c:byte()) end))
end

--- target.split_search_path(url) -> url_for_libpq, schema | nil
function M.split_search_path(url)
  local base, query = url:match("^(postgres[a-z]*://[^?]*)%?(.*)$")
  if not base then return url, nil end
  local kept, schema, options = {}, nil, nil
  for pair in query:gmatch("[^&]+") do
    local k, v = pair:match("^([^=]*)=?(.*)$")
    if k == "search_path" then
      schema = unescape(v)
    elseif k == "options" then
      options = unescape(v)
    else
      kept[#kept + 1] = pair
    end
  end
  if schema and schema ~= "" then
    options = ((options and (options .. " ")) or "") .. "-c search_path=" .. schema:gsub("[\\%s]", "\\%0")
  end
  if options then kept[#kept + 1] = "options=" .. escape(options) end
  local first = schema and schema:match("^%s*\"?([^,\"]+)\"?")
  return base .. (#kept > 0 and ("?" .. table.concat(kept, "&")) or ""), first
end

local Target = {}
Target.__index = Target
function Target:close()
  if self.conn then self.conn:close() self.conn = nil end
end
Target.__close = Target.close
Target.__gc = Target.close

--- target.url_of(opts, ws) -> the database URL a command works on: --url, else the
-- env's url in atlas.hcl, else $DATABASE_URL; a config error when there is none
function M.url_of(opts, ws)
  local url = opts.url or ws.config.url or os.getenv("DATABASE_URL")
  if not url or url == "" then
    errors.config("no database URL: pass --url, set url in the env of atlas.hcl, or set DATABASE_URL")
  end
  return url
end

--- target.check_url(url): a config error (exit 2) for a URL dbhost cannot use
-- (another scheme: mysql://, sqlite:// ...); libpq keyword strings pass
function M.check_url(url)
  local scheme = url:match("^(%a[%w+.-]*)://")
  if scheme and scheme ~= "postgres" and scheme ~= "postgresql" then
    -- (the URL itself is not shown: redaction knows PostgreSQL URLs only)
    errors.config("unsupported database URL scheme %q: dbhost works with postgres:// or postgresql:// "
      .. "URLs (or a libpq keyword string)", scheme)
  end
end

--- target.connect(url [, timeout]) -> target { conn=, schema=, url= (redacted) } | raises
function M.connect(url, timeout)
  M.check_url(url)
  local conninfo, schema = M.split_search_path(url)
  local conn, err = pg.connect(conninfo, { timeout = timeout or 30 })
  if not conn then
    errors.failed("cannot connect to %s: %s", pg.redact(url), tostring(type(err) == "table" and err.message or err))
  end
  return setmetatable({ conn = conn, schema = schema, url = pg.redact(url) }, Target)
end

return M
