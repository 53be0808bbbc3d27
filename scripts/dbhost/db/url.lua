--- dbhost.db.url: database URLs and conninfo strings: reading them, printing them
-- without passwords, and Atlas's search_path parameter.
--
--   local url = require "dbhost.db.url"
--   url.redact(s)            -> s with every password as xxxxx (the one way dbhost prints a URL)
--   url.without_password(s)  -> s with the password left out (for a URL meant to be used)
--   url.parse(s)             -> { form = "uri"|"keywords", scheme =, params = { keyword = value } } | nil, msg
--   url.secrets(s)           -> { text, ... } the password texts a message may quote
--   url.scrub(text, s)       -> text with every password text of conninfo s masked
--   url.split_search_path(s) -> conninfo for libpq, schema | nil
--   url.with_dbname(s, name) -> the same server, database `name`
--
-- Redaction reads the string with libpq's own parser (pg.conninfo_parse). When
-- libpq cannot read it (a mistyped scheme like postgress:// or mysql://, an
-- upper-case scheme, an '@' or '/' left unencoded in the password) it still
-- masks: in a URL, everything between "://" (after the user name) and the last
-- '@'; everywhere, the value of any parameter whose name holds "pass"
-- (percent-decoded, any case); a value whose quote is never closed, to the end.
local pg = require "dbhost.pg"

local M = {}

M.MASK = "xxxxx"

local function unescape(s)
  return (s:gsub("%%(%x%x)", function(h) return string.char(tonumber(h, 16)) end))
end

local function escape(s)
  return (s:gsub("[^%w%-%._~]", function(c) return ("%%%02X"):format(c:byte()) end))
end

-- "scheme://" of a URL-looking string (any scheme, any case), else nil
local function scheme_of(s)
  return s:match("^%s*([%a][%w+.-]*)://")
end

local function is_password_key(key)
  return unescape(key):lower():find("pass", 1, true) ~= nil
end

--- url.parse(s) -> { form =, scheme =, params = } | nil, msg (msg is never printed as is)
function M.parse(s)
  if s:find("\0", 1, true) then return nil, "the connection string contains a zero byte" end
  local scheme = scheme_of(s)
  local text = s
  if scheme then
    local lower = scheme:lower()
    if lower ~= "postgres" and lower ~= "postgresql" then
      return nil, ("unsupported scheme %s://"):format(scheme)
    end
    -- libpq knows only the lower-case prefixes
    text = s:gsub("^(%s*)[%a][%w+.-]*://", "%1" .. lower .. "://", 1)
  elseif not s:find("=", 1, true) then
    return { form = "name", params = { dbname = s } }
  end
  local params, err = pg.conninfo_parse(text)
  if not params then return nil, M.scrub(err, s) end
  return { form = scheme and "uri" or "keywords", scheme = scheme and scheme:lower(), params = params }
end

-- The query part of a URL with the values of password-like keys masked.
local function redact_query(query)
  return (query:gsub("([^&=]*)(=?)([^&]*)", function(k, eq, v)
    if eq ~= "" and v ~= "" and is_password_key(k) then return k .. eq .. M.MASK end
    return nil
  end))
end

local function redact_uri(s, parsed)
  local prefix, rest = s:match("^(%s*[%a][%w+.-]*://)(.*)$")
  -- the user information ends at the last '@' (an unencoded '@' or '/' in the
  -- password cannot move it); libpq's reading is trusted only when it saw no
  -- password and the string has no '@' it might have read otherwise
  local at
  for i = #rest, 1, -1 do
    if rest:sub(i, i) == "@" then at = i break end
  end
  local userinfo, after = "", rest
  if at then userinfo, after = rest:sub(1, at - 1), rest:sub(at) end
  if at and parsed and not parsed.params.password then
    -- libpq saw no password: an '@' inside the query is no user information
    local q = rest:find("?", 1, true)
    if q and q < at then at, userinfo, after = nil, "", rest end
  end
  if at then
    -- a user name alone hides nothing, once libpq has read the string
    if userinfo:find("[:/?]") or not parsed then
      local user = userinfo:match("^([^:/?@]*):")
      userinfo = user and (user .. ":" .. M.MASK) or M.MASK
    end
  end
  local path, query = after:match("^([^?]*)%?(.*)$")
  if path then after = path .. "?" .. redact_query(query) end
  return prefix .. userinfo .. after
end

-- Keyword/value form, scanned like libpq does: the value of a password-like key
-- becomes xxxxx (its quotes kept); a value that is itself a conninfo is redacted
-- in turn; after a syntax error the rest is masked if a password may be in it.
local function redact_keywords(s, depth)
  local out, i, n = {}, 1, #s
  while i <= n do
    local ws, key, sp1, sp2, j = s:match("^(%s*)([^%s=]+)(%s*)=(%s*)()", i)
    if not ws then
      local tail = s:sub(i)
      out[#out + 1] = tail:lower():find("pass", 1, true) and tail:gsub("%S+", M.MASK, 1) or tail
      break
    end
    local value, k
    if s:sub(j, j) == "'" then
      k = j + 1
      while k <= n and s:sub(k, k) ~= "'" do
        k = k + (s:sub(k, k) == "\\" and 2 or 1)
      end
      value = s:sub(j, math.min(k, n))
      k = k + 1
    else
      k = j
      while k <= n and not s:sub(k, k):find("%s") do
        k = k + (s:sub(k, k) == "\\" and 2 or 1)
      end
      value = s:sub(j, math.min(k - 1, n))
    end
    local quoted = value:sub(1, 1) == "'"
    local inner = quoted and value:sub(2, value:sub(-1) == "'" and #value > 1 and -2 or -1) or value
    if is_password_key(key) and inner ~= "" then
      value = quoted and ("'" .. M.MASK .. (value:sub(-1) == "'" and #value > 1 and "'" or "")) or M.MASK
    elseif depth == 0 and (scheme_of(inner) or inner:find("=", 1, true)) then
      local red = M.redact(inner:gsub("\\(.)", "%1"), depth + 1)
      value = "'" .. red:gsub("[\\']", "\\%0") .. "'"
    end
    out[#out + 1] = ws .. key .. sp1 .. "=" .. sp2 .. value
    i = k
  end
  return table.concat(out)
end

--- url.redact(s) -> s with every password masked as xxxxx; anything else as given
function M.redact(s, depth)
  if type(s) ~= "string" then return s end
  depth = depth or 0
  local scheme = scheme_of(s)
  if scheme and (scheme:lower() == "file" or scheme:lower() == "dir") then
    return s -- paths: nothing there is a password ("file://schema@v2.sql")
  elseif scheme then
    return redact_uri(s, (M.parse(s)))
  elseif s:find("=", 1, true) then
    return redact_keywords(s, depth)
  end
  return s
end

--- url.without_password(s) -> a redacted s with the masked password left out
-- ("postgres://u@h/db"), for URLs printed to be used with PGPASSWORD or a passfile
function M.without_password(s)
  local r = M.redact(s)
  if scheme_of(r) then
    r = r:gsub("^(%s*[%a][%w+.-]*://[^@]-):" .. M.MASK .. "@", "%1@", 1)
    r = r:gsub("([?&])[^&=]*=" .. M.MASK .. "&?", "%1"):gsub("[?&]$", "")
  else
    r = r:gsub("%s*[^%s=]*[Pp][Aa][Ss][Ss][^%s=]*%s*=%s*'?" .. M.MASK .. "'?", "")
  end
  return r
end

--- url.secrets(s) -> { text, ... }: the password texts of s a message may quote
function M.secrets(s)
  return pg.conninfo_secrets(s)
end

--- url.scrub(text, s | secrets) -> text with every password text of s masked
function M.scrub(text, s)
  if type(text) ~= "string" then return text end
  return pg.scrub(text, type(s) == "table" and s or M.secrets(s or ""))
end

--- url.split_search_path(s) -> conninfo for libpq, schema | nil
-- Atlas writes `search_path=<schema>` in URLs; libpq does not know it: it is
-- removed and passed as `options=-c search_path=...`, and its first schema is
-- returned (Atlas's "schema scope"). Keyword strings pass through unchanged.
function M.split_search_path(s)
  local base, query = s:match("^(postgres[a-z]*://[^?]*)%?(.*)$")
  if not base then return s, nil end
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

--- url.with_dbname(s, name) -> the same server, database `name`
-- URLs get their path replaced; keyword strings get dbname appended (the last one wins).
function M.with_dbname(s, name)
  local scheme, authority, query = s:match("^(postgres[a-z]*://)([^/?]*)/?[^?]*(.*)$")
  if scheme then
    return scheme .. authority .. "/" .. escape(name) .. query
  end
  return s .. " dbname='" .. name:gsub("[\\']", "\\%0") .. "'"
end

return M
