---@meta dbhost.sigv4
-- What Lua sees of bindings/sigv4.c: AWS Signature Version 4 over OpenSSL, header and
-- presigned-query forms. Nothing is read from the environment. Misuse (a missing or
-- mistyped field) raises; signing itself cannot fail.

---@class dbhost.sigv4
---@field ALGORITHM string "AWS4-HMAC-SHA256"
local sigv4 = {}

---@class dbhost.sigv4.request
---@field method string
---@field path string as sent on the wire ("/" when empty)
---@field query? string as sent, without "?"
---@field headers {[1]: string, [2]: string}[] in sent order, Host included
---@field body? string payload (default "")
---@field payload_hash? string hex SHA-256 to use instead of hashing body (e.g. "UNSIGNED-PAYLOAD")
---@field access_key string
---@field secret_key string
---@field session_token? string
---@field region string
---@field service string
---@field time integer Unix seconds
---@field mode? "header"|"query" default "header"
---@field expires? integer seconds, query mode (default 900)
---@field normalize? boolean resolve "." / ".." and repeated "/" (default true)
---@field sign_body? boolean header mode: add and sign x-amz-content-sha256
---@field omit_session_token? boolean add the token after signing, unsigned

---@class dbhost.sigv4.result
---@field canonical_request string
---@field string_to_sign string
---@field signature string hex
---@field signed_headers string
---@field scope string
---@field amz_date string
---@field headers? {[1]: string, [2]: string}[] header mode: headers to add, Authorization last
---@field authorization? string header mode: the Authorization value
---@field query? string query mode: the signed query string (X-Amz-Signature last)

--- Sign a request.
---@param req dbhost.sigv4.request
---@return dbhost.sigv4.result
function sigv4.sign(req) end

--- Raw HMAC-SHA256 of data under key.
---@param key string
---@param data string
---@return string digest 32 raw bytes
function sigv4.hmac_sha256(key, data) end

return sigv4
