--- dbhost.db.connect: the one way dbhost opens a connection to PostgreSQL.
--
--   local connect = require "dbhost.db.connect"
--   local conn, schema = connect.open(url [, { timeout =, quiet = }])  -- nil, message, code on failure
--   local conn = connect.dev(dev)                 -- a dev database (dbhost.db.dev); nil, message
--   local t <close> = connect.target(url)         -- the database a command works on; raises
--   connect.url_of(opts, ws)                       -- which URL that is (--url, atlas.hcl, $DATABASE_URL)
--   connect.scrub(text)                            -- text with the passwords of every URL opened masked
--
-- URLs may carry Atlas's `search_path=<schema>` parameter, which libpq does not
-- know: dbhost.db.url.split_search_path turns it into `options=-c search_path=...`
-- and the connection's schema. Every URL opened here has its password texts
-- (dbhost.db.url.secrets) remembered for this process, so that the driver
-- (dbhost.main) masks them in whatever ends a command, whichever command it is.
local pg = require "dbhost.pg"
local dburl = require "dbhost.db.url"
local errors = require "dbhost.errors"

local M = {}

-- The password texts of every URL opened by this process (set: text -> true, list: in order).
local seen, secrets = {}, {}

--- connect.register(url): remember the password texts of url (connect.open does it)
function M.register(url)
  for _, text in ipairs(dburl.secrets(url)) do
    if not seen[text] then
      seen[text] = true
      secrets[#secrets + 1] = text
    end
  end
end

--- connect.secrets() -> { text, ... }: the password texts of every URL opened so far
function M.secrets()
  return table.move(secrets, 1, #secrets, 1, {})
end

--- connect.scrub(text) -> text with every remembered password text masked
function M.scrub(text)
  if #secrets == 0 then return text end
  return dburl.scrub(text, secrets)
end

--- connect.open(url [, opts]) -> conn, schema | nil, message, code
-- opts: timeout (seconds to connect, default 30), statement_timeout, quiet = true
-- to run `SET client_min_messages = warning` first (replays print no NOTICEs).
-- schema is the first schema of the URL's search_path parameter, or nil.
function M.open(url, opts)
  opts = opts or {}
  M.register(url)
  local conninfo, schema = dburl.split_search_path(url)
  local conn, err, code = pg.connect(conninfo, { timeout = opts.timeout or 30,
                                                 statement_timeout = opts.statement_timeout })
  if not conn then return nil, errors.message(err), code end
  if opts.quiet then conn:exec("SET client_min_messages = warning") end
  return conn, schema
end

--- connect.dev(dev [, opts]) -> conn | nil, "connecting to the dev database: ..."
-- A connection to a dev database from dbhost.db.dev (quiet unless opts.quiet == false).
function M.dev(dev, opts)
  opts = opts or {}
  if type(dev) == "table" and dev.ready then
    local ok, rerr = dev:ready()
    if not ok then return nil, "starting the dev database: " .. tostring(rerr) end
  end
  local conn, err = M.open(type(dev) == "string" and dev or dev.url,
    { timeout = opts.timeout, quiet = opts.quiet ~= false })
  if not conn then return nil, "connecting to the dev database: " .. err end
  return conn
end

--- connect.url_of(opts, ws) -> the database URL a command works on: --url, else the
-- env's url in atlas.hcl, else $DATABASE_URL; a config error when there is none
function M.url_of(opts, ws)
  local url = opts.url or ws.config.url or os.getenv("DATABASE_URL")
  if not url or url == "" then
    errors.config("no database URL: pass --url, set url in the env of atlas.hcl, or set DATABASE_URL")
  end
  return url
end

--- connect.check_url(url): a config error (exit 2) for a URL dbhost cannot use
-- (another scheme: mysql://, sqlite:// ...); libpq keyword strings pass
function M.check_url(url)
  local scheme = url:match("^(%a[%w+.-]*)://")
  if scheme and scheme ~= "postgres" and scheme ~= "postgresql" then
    -- (the URL itself is not shown: redaction knows PostgreSQL URLs only)
    errors.config("unsupported database URL scheme %q: dbhost works with postgres:// or postgresql:// "
      .. "URLs (or a libpq keyword string)", scheme)
  end
end

-- The database a command works on, closed with the `<close>` variable holding it.
local Target = {}
Target.__index = Target
function Target:close()
  if self.conn then self.conn:close() self.conn = nil end
end
Target.__close = Target.close
Target.__gc = Target.close

--- connect.target(url [, timeout]) -> target { conn=, schema=, url= (redacted) } | raises
function M.target(url, timeout)
  M.check_url(url)
  local conn, schema = M.open(url, { timeout = timeout })
  if not conn then
    errors.failed("cannot connect to %s: %s", dburl.redact(url), schema)
  end
  return setmetatable({ conn = conn, schema = schema, url = dburl.redact(url) }, Target)
end

return M
