--- dbhost.aws.client: what every AWS call needs, read from the environment as
-- AWS SDKs read it, and SigV4-signed requests over dbhost.http.
--
--   client.credentials([env]) -> { access_key=, secret_key=, session_token= } | nil, msg, "ENOCREDS"
--   client.region([env])      -> "us-east-1" | nil, msg, "ENOREGION"
--   client.endpoint(service_id, host_prefix [, region, env]) -> url
--       AWS_ENDPOINT_URL_<SERVICE_ID> (service id upper-cased, spaces as "_"), else
--       AWS_ENDPOINT_URL, else https://<host_prefix>.<region>.amazonaws.com; neither
--       override counts when AWS_IGNORE_CONFIGURED_ENDPOINT_URLS is "true"
--   client.cainfo([env])      -> path of the system's CA bundle, or nil (libcurl's default)
--   client.parse_url(url)     -> { scheme=, host=, port=, authority=, path=, query= } | nil, msg
--   client.signed_request(r)  -> res | nil, msg, code   (see below)
--
-- `env` is a function like os.getenv (tests pass their own). Nothing here logs
-- or returns the secret key or the session token.
local http = require "dbhost.http"
local sigv4 = require "dbhost.sigv4"
local fs = require "dbhost.fs"

local M = {}

local function getter(env) return env or os.getenv end

function M.credentials(env)
  env = getter(env)
  local ak, sk = env("AWS_ACCESS_KEY_ID"), env("AWS_SECRET_ACCESS_KEY")
  if not ak or ak == "" or not sk or sk == "" then
    return nil, "no AWS credentials: AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are not set", "ENOCREDS"
  end
  local token = env("AWS_SESSION_TOKEN")
  return { access_key = ak, secret_key = sk, session_token = (token ~= "" and token) or nil }
end

function M.region(env)
  env = getter(env)
  local r = env("AWS_REGION")
  if not r or r == "" then r = env("AWS_DEFAULT_REGION") end
  if not r or r == "" then return nil, "no AWS region: AWS_REGION is not set", "ENOREGION" end
  return r
end

function M.endpoint(service_id, host_prefix, region, env)
  env = getter(env)
  if (env("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS") or ""):lower() ~= "true" then
    local specific = env("AWS_ENDPOINT_URL_" .. service_id:upper():gsub("[ -]", "_"))
    if specific and specific ~= "" then return specific end
    local global = env("AWS_ENDPOINT_URL")
    if global and global ~= "" then return global end
  end
  return ("https://%s.%s.amazonaws.com/"):format(host_prefix, region)
end

M.CA_BUNDLES = {
  "/etc/pki/tls/certs/ca-bundle.crt",      -- Amazon Linux, Fedora
  "/etc/ssl/certs/ca-certificates.crt",    -- Debian, Ubuntu
}

function M.cainfo(env)
  env = getter(env)
  local f = env("SSL_CERT_FILE")
  if f and f ~= "" then return f end
  for _, p in ipairs(M.CA_BUNDLES) do
    local st = fs.stat(p)
    if st and st.type == "file" then return p end
  end
  return nil
end

function M.parse_url(url)
  local scheme, authority, rest = url:match("^(https?)://([^/?#]+)(.*)$")
  if not scheme then return nil, ("not an http(s) URL: %s"):format(url) end
  local host, port = authority:match("^(.-):(%d+)$")
  host = host or authority
  local path, query = rest:match("^([^?#]*)%??([^#]*)")
  if path == "" then path = "/" end
  return { scheme = scheme, host = host, port = tonumber(port), authority = authority,
           path = path, query = query }
end

--- client.signed_request(r) -> res | nil, msg, code
-- r = { url=, method=, service= (signing name), region=, credentials=,
--       headers = { {name, value}, ... } (Host is added), body=, timeout=,
--       time = Unix seconds (default now) }
function M.signed_request(r)
  local u, err = M.parse_url(r.url)
  if not u then return nil, err, "EINVAL" end
  local headers = { { "Host", u.authority } }
  for _, h in ipairs(r.headers or {}) do headers[#headers + 1] = h end
  local c = r.credentials
  local signed = sigv4.sign {
    method = r.method or "GET", path = u.path, query = u.query, headers = headers,
    body = r.body or "", region = r.region, service = r.service,
    access_key = c.access_key, secret_key = c.secret_key, session_token = c.session_token,
    time = r.time or os.time(),
  }
  for _, h in ipairs(signed.headers) do headers[#headers + 1] = h end
  table.remove(headers, 1) -- libcurl sends Host itself, from the URL
  return http.request { method = r.method or "GET", url = r.url, headers = headers, body = r.body,
                        timeout = r.timeout, connect_timeout = r.connect_timeout, cainfo = r.cainfo }
end

return M
