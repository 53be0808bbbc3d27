---@meta dbhost.hash
-- What Lua sees of bindings/hash.c (with atlassum.c): SHA-256 and Atlas's atlas.sum.
--
-- Errors: misuse raises; operational failure returns nil, message, code
-- (codes "ENOENT" and other errno names, "EFORMAT", "EMISMATCH", "ECRYPTO").
-- hash.validate is the exception: its failure is nil, err with err a table.

---@class dbhost.hash
local hash = {}

---@class dbhost.hash.entry
---@field name string file name, e.g. "20260112093000_create_orders.sql"
---@field hash string base64 SHA-256, without "h1:"
---@field line? integer line in atlas.sum (parse_sum)

---@class dbhost.hash.entries: dbhost.hash.entry[]
---@field total string base64 total

---@class dbhost.hash.validate_error
---@field code string "ENOTFOUND"|"EFORMAT"|"EMISMATCH"|errno name
---@field message string Atlas's text ("checksum mismatch", "checksum file not found") or the parse message
---@field reason? "added"|"edited"|"removed"
---@field line? integer
---@field file? string
---@field pos? integer
---@field detail? string e.g. "L3: x.sql was added"

--- The 32-byte raw digest.
---@param data string
---@return string|nil digest
---@return string? message
---@return string? code "ECRYPTO"
function hash.sha256(data) end

--- Lowercase hex of raw bytes.
---@param raw string
---@return string
function hash.hex(raw) end

--- Standard base64 with padding.
---@param raw string
---@return string
function hash.base64(raw) end

--- An incremental SHA-256.
---@return dbhost.hash.sha256
function hash.new() end

--- atlas.sum text of a migration directory, exactly as `atlas migrate hash` writes it.
---@param dir string
---@return string|nil text
---@return dbhost.hash.entries|string entries_or_message
---@return string? code
function hash.atlas_sum(dir) end

--- The same on in-memory files; only names ending in ".sql" count. Duplicate names raise.
---@param files {name: string, data: string}[]
---@return string|nil text
---@return dbhost.hash.entries|string entries_or_message
---@return string? code
function hash.atlas_sum_of(files) end

---@param text string
---@param filename? string named in messages, default "atlas.sum"
---@return {total: string, entries: dbhost.hash.entry[]}|nil sum
---@return string? message "atlas.sum:3: ..."
---@return string? code "EFORMAT"|"EMISMATCH"
function hash.parse_sum(text, filename) end

--- Recompute and compare with dir/atlas.sum. A missing atlas.sum and no .sql files is fine.
---@param dir string
---@return true|nil ok
---@return dbhost.hash.validate_error? err
function hash.validate(dir) end

--- An incremental hasher (metatable "dbhost.hash.sha256"); closing is idempotent, also __gc/__close.
---@class dbhost.hash.sha256
local sha256 = {}

---@param s string
---@return dbhost.hash.sha256 self
function sha256:update(s) end

--- The raw digest of everything so far (does not reset, like Go's Sum(nil)).
---@return string
function sha256:digest() end

function sha256:close() end

return hash
