---@meta dbhost.sql
-- What Lua sees of bindings/sql.c (with sqlsplit.c): PostgreSQL statement
-- splitting and Atlas's migration-file directives.
--
-- Errors: misuse raises; operational failure returns nil, message, code:
-- "ESYNTAX" (message "FILE:LINE:COL: unclosed quote ..."), "EDIRECTIVE", "ENOMEM".

---@class dbhost.sql
local sql = {}

---@class dbhost.sql.stmt
---@field text string the statement, without its trailing delimiter
---@field pos integer byte offset where it starts (1-based)
---@field line integer
---@field col integer
---@field comments string[] the "-- ..." comments right before it

---@class dbhost.sql.stmts: dbhost.sql.stmt[]
---@field delimiter? string the "-- atlas:delimiter" value, if any

---@class dbhost.sql.directives
---@field txmode? "none"|"file"
---@field nolint? string[]|true
---@field checkpoint? string|true
---@field sum? string
---@field delimiter? string
---@field list {name: string, arg?: string, line: integer}[]

--- Split a migration file into statements (quotes, dollar quotes, comments, BEGIN ATOMIC).
---@param text string
---@param filename? string named in messages
---@return dbhost.sql.stmts|nil stmts
---@return string? message
---@return string? code "ESYNTAX"|"ENOMEM"
function sql.split(text, filename) end

--- The file's "-- atlas:..." header directives.
---@param text string
---@param filename? string
---@return dbhost.sql.directives|nil d
---@return string? message
---@return string? code "EDIRECTIVE"
function sql.directives(text, filename) end

--- Directives in the comments of one statement (from sql.split).
---@param stmt dbhost.sql.stmt
---@return {nolint?: string[]|true, list: {name: string, arg?: string}[], [string]: string|true}
function sql.stmt_directives(stmt) end

--- "\"s\"" with every " doubled.
---@param s string
---@return string
function sql.quote_ident(s) end

--- "'s'" with every ' doubled (standard_conforming_strings on).
---@param s string
---@return string
function sql.quote_literal(s) end

return sql
