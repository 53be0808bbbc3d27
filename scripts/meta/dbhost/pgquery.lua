---@meta dbhost.pgquery
-- What Lua sees of bindings/pgquery.c: PostgreSQL 15's parser (libpg_query)
-- applied to ONE statement at a time. The lint rules (scripts/dbhost/lint/)
-- decode the JSON with lua-cjson and match on node types and fields; the
-- statement boundaries and file positions come from dbhost.sql.
--
-- Every function fails the same way on SQL the parser rejects:
--   nil, message, "ESYNTAX", pos, byte
-- where pos is the 1-based CHARACTER (not byte) position of the error in the
-- statement text as PostgreSQL counts characters (a byte that starts no valid
-- UTF-8 sequence counts as one), 0 when the parser gave none; byte is the same
-- place as a 1-based byte offset (#sql + 1 when unknown). A NUL byte inside the
-- text is such an error.

---@class dbhost.pgquery
---@field pg_version string the grammar's PostgreSQL version, e.g. "15.1"
---@field pg_version_num integer the same as a number, e.g. 150001
local pgquery = {}

--- The grammar's PostgreSQL version, e.g. "15.1".
---@type string
pgquery.pg_version = "15.1"

--- The same as a number, e.g. 150001.
---@type integer
pgquery.pg_version_num = 150001

--- The parse tree as libpg_query's JSON:
--- `{"version":150001,"stmts":[{"stmt":{"AlterTableStmt":{...}},"stmt_len":N}]}`.
--- Node types are the C struct names (`CreateStmt`, `IndexStmt`, `Constraint`…),
--- enums are strings (`"AT_AddColumn"`), and `location` fields are BYTE offsets
--- into the text. Zero values are omitted (so `{"ival":{}}` is the integer 0).
---@param sql string
---@return string|nil json
---@return string? message
---@return string? code "ESYNTAX"
---@return integer? pos
---@return integer? byte
function pgquery.parse(sql) end

--- PostgreSQL's query fingerprint (pg_query's 16 hex digits): equal for
--- statements that differ only in constants and formatting.
---@param sql string
---@return string|nil hex
---@return string? message
---@return string? code
---@return integer? pos
---@return integer? byte
function pgquery.fingerprint(sql) end

--- The text with each constant replaced by $1, $2, … (comments and layout kept).
---@param sql string
---@return string|nil normalized
---@return string? message
---@return string? code
---@return integer? pos
---@return integer? byte
function pgquery.normalize(sql) end

return pgquery
