--- dbhost.aws.rds: RDS IAM database authentication tokens.
--
--   rds.auth_token{ host=, port=, user=, region=, credentials=, time=, expires= } -> token
--
-- The token is a SigV4 presigned URL (signing name "rds-db", GET, payload the
-- empty string, 900 s) for https://HOST:PORT/?Action=connect&DBUser=USER,
-- without its "https://": what `aws rds generate-db-auth-token` prints. It is
-- the libpq password and needs TLS.
local sigv4 = require "dbhost.sigv4"

local M = {}

local function encode(s)
  return (s:gsub("[^%w%-%._~]", function(c) return ("%%%02X"):format(c:byte()) end))
end

function M.auth_token(o)
  local port = o.port or 5432
  port = math.tointeger(tonumber(port)) or port
  local authority = ("%s:%s"):format(o.host, tostring(port))
  local c = o.credentials
  local signed = sigv4.sign {
    method = "GET", path = "/", query = "Action=connect&DBUser=" .. encode(o.user),
    headers = { { "Host", authority } }, region = o.region, service = "rds-db", mode = "query",
    expires = o.expires or 900, time = o.time or os.time(),
    access_key = c.access_key, secret_key = c.secret_key, session_token = c.session_token,
  }
  return authority .. "/?" .. signed.query
end

return M
