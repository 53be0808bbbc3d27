--- dbhost.aws.secrets: Secrets Manager's GetValue over its JSON 1.1 protocol.
--
--   secrets.get_secret_value(secret_id, opts) -> secret_string | nil, msg, code
--     opts = { region=, credentials=, endpoint=, timeout=, cainfo=, env= }
--   secrets.database_credentials(secret_string, name) -> { username=, password=, host=, port=, dbname= } | nil, msg, code
--
-- Codes: AWS's error type ("ResourceNotFoundException", "AccessDeniedException",
-- "InvalidSignatureException", ...), or the transport's (dbhost.http). Messages
-- name the secret and AWS's message, never the secret's value.
local cjson = require "cjson"
local client = require "dbhost.aws.client"

local M = {}

M.SERVICE_ID = "Secrets Manager"
M.HOST_PREFIX = "secretsmanager"
M.SIGNING_NAME = "secretsmanager"

function M.get_secret_value(secret_id, opts)
  opts = opts or {}
  local region = opts.region
  local creds = opts.credentials
  local url = opts.endpoint or client.endpoint(M.SERVICE_ID, M.HOST_PREFIX, region, opts.env)
  local res, err, code = client.signed_request {
    url = url, method = "POST", service = M.SIGNING_NAME, region = region, credentials = creds,
    headers = { { "Content-Type", "application/x-amz-json-1.1" },
                { "X-Amz-Target", "secretsmanager.GetSecretValue" } },
    body = cjson.encode { SecretId = secret_id },
    timeout = opts.timeout, connect_timeout = opts.connect_timeout, cainfo = opts.cainfo,
  }
  if not res then return nil, ("Secrets Manager GetSecretValue(%s): %s"):format(secret_id, err), code end
  local ok, doc = pcall(cjson.decode, res.body)
  if res.status ~= 200 then
    local kind = (ok and type(doc) == "table" and doc.__type) or res.headers["x-amzn-errortype"] or "HTTP " .. res.status
    kind = tostring(kind):gsub(":.*$", ""):gsub("^.*#", "")
    local msg = ok and type(doc) == "table" and (doc.message or doc.Message) or nil
    return nil, ("Secrets Manager GetSecretValue(%s): %s (HTTP %d)%s"):format(secret_id, kind, res.status,
      msg and (": " .. tostring(msg)) or ""), kind
  end
  if not ok or type(doc) ~= "table" or type(doc.SecretString) ~= "string" then
    return nil, ("Secrets Manager GetSecretValue(%s): the answer has no SecretString (binary secrets are not supported)")
      :format(secret_id), "EPROTO"
  end
  return doc.SecretString
end

--- The RDS secret shapes: {"username","password"} (RDS-managed), optionally
-- with "host", "port" (a number or a string), "dbname", "engine".
function M.database_credentials(secret_string, name)
  local ok, doc = pcall(cjson.decode, secret_string)
  if not ok or type(doc) ~= "table" then
    return nil, ("secret %s is not a JSON object (expected RDS's {\"username\": ..., \"password\": ...})"):format(name), "EINVAL"
  end
  if type(doc.username) ~= "string" or type(doc.password) ~= "string" then
    return nil, ("secret %s has no string \"username\" and \"password\""):format(name), "EINVAL"
  end
  local port = doc.port
  if port ~= nil and port ~= cjson.null then port = tostring(math.tointeger(tonumber(port)) or port) else port = nil end
  local function str(v) return type(v) == "string" and v ~= "" and v or nil end
  return { username = doc.username, password = doc.password, host = str(doc.host), port = port,
           dbname = str(doc.dbname) }
end

return M
