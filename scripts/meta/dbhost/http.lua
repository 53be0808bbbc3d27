---@meta dbhost.http
-- What Lua sees of bindings/http.c: HTTP/1.1 requests over libcurl, and a watchdog
-- thread that sends one last-resort request at a deadline unless claimed first.
--
-- Errors: misuse raises; operational failure returns nil, message, code with code one of
-- "ETIMEDOUT", "ECONNREFUSED", "EHOSTUNREACH" (name not resolved), "ECONNRESET", "ETLS",
-- "EHTTP". Ctrl-C aborts a transfer and raises the host's "interrupted" error.

---@class dbhost.http
local http = {}

---@class dbhost.http.request
---@field method? string "GET" (default), "POST", "PUT", ...
---@field url string
---@field headers? {[1]: string, [2]: string}[] sent in order; a value "" is sent empty, not dropped
---@field body? string
---@field timeout? number seconds for the whole transfer (0 or nil: none)
---@field connect_timeout? number seconds
---@field cainfo? string path of a CA bundle

---@class dbhost.http.response
---@field status integer
---@field headers table<string, string> lower-case names
---@field body string

--- Send one request and read the whole answer ("Expect:" is always cleared).
---@param req dbhost.http.request
---@return dbhost.http.response|nil res
---@return string? message
---@return string? code
function http.request(req) end

---@class dbhost.http.watchdog_spec: dbhost.http.request
---@field at number Unix seconds (wall clock) when the request is sent
---@field attempts? integer tries on a network error or 5xx (default 3)

--- Start a thread that sends `w` at time `w.at` unless claimed before.
---@param w dbhost.http.watchdog_spec
---@return dbhost.http.watchdog|nil
---@return string? message
---@return string? code
function http.watchdog(w) end

--- Unix seconds with a fraction, from the wall clock (what Lambda's deadline header uses).
---@return number
function http.now() end

---@class dbhost.http.watchdog
local watchdog = {}

--- true when the caller won the right to answer (the thread is stopped); false and the
--- last HTTP status (0: none) when the watchdog fired, after its request ended.
---@return boolean claimed
---@return integer? status
function watchdog:claim() end

--- Whether the watchdog started answering.
---@return boolean
function watchdog:fired() end

--- Claim and join the thread; idempotent (also __gc and __close).
function watchdog:close() end

return http
