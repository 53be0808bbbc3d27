--- dbhost.migrate.target: connect to the database a command works on.
--
-- Accepts PostgreSQL URLs as Atlas writes them, including the parameter
-- `search_path=<schema>` that libpq does not know (dbhost.db.url.split_search_path
-- turns it into `options=-c search_path=...` and the connection's schema).
local pg = require "dbhost.pg"
local dburl = require "dbhost.db.url"
local errors = require "dbhost.errors"

local M = {}

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
  local conninfo, schema = dburl.split_search_path(url)
  local conn, err = pg.connect(conninfo, { timeout = timeout or 30 })
  if not conn then
    errors.failed("cannot connect to %s: %s", dburl.redact(url), tostring(type(err) == "table" and err.message or err))
  end
  return setmetatable({ conn = conn, schema = schema, url = dburl.redact(url) }, Target)
end

return M
