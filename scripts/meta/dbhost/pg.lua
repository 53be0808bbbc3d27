---@meta dbhost.pg
-- What Lua sees of bindings/pg.c: PostgreSQL connections over libpq.
--
-- Errors: misuse (and using a closed connection) raises; operational failure
-- returns nil, message, code. Query failures return nil, err, sqlstate where
-- err is a dbhost.pg.error table (tostring(err) gives the full text). Messages
-- never contain a password. Ctrl-C cancels a running statement, then raises
-- { message = "interrupted", status = 130 }.

---@class dbhost.pg
local pg = {}

---@class dbhost.pg.connect_opts
---@field timeout? number seconds to connect (default: connect_timeout of the conninfo, else none)
---@field statement_timeout? number seconds: the first conn:set_timeout

---@class dbhost.pg.result
---@field rows table<string, string|nil>[] one table per row, column name -> text (nil = NULL)
---@field fields string[] column names
---@field types integer[] type OIDs
---@field ntuples integer
---@field command string e.g. "INSERT 0 1"
---@field affected? integer

---@class dbhost.pg.error
---@field message string
---@field sqlstate string
---@field severity? string
---@field detail? string
---@field hint? string
---@field position? integer character in the statement
---@field context? string
---@field where? string same as context
---@field schema? string
---@field table? string
---@field column? string
---@field datatype? string
---@field constraint? string
---@field internal_query? string
---@field internal_position? integer
---@field timeout? boolean the statement ran past the timeout (sqlstate "57014")
---@field statement_index? integer exec_all: which statement failed

--- Connect. conninfo: a postgres:// or postgresql:// URL, "key=value ..." or a
--- database name; libpq also reads PG* variables. Adds client_encoding=UTF8 and
--- fallback_application_name=dbhost (the conninfo wins).
---@param conninfo string
---@param opts? dbhost.pg.connect_opts
---@return dbhost.pg.conn|nil conn
---@return string? message
---@return string? code "EINVAL" (unparsable conninfo), "08001" (could not connect), "ETIMEDOUT"
function pg.connect(conninfo, opts) end

--- libpq's own reading of a URL or keyword string (PQconninfoParse): the keywords it sets.
--- The message may quote the input: scrub it before printing (dbhost.db.url does).
---@param conninfo string
---@return table<string, string>|nil keywords
---@return string? message
---@return string? code "EINVAL"
function pg.conninfo_parse(conninfo) end

--- What scrubbing hides for this URL or conninfo: libpq's password, a URL's text between
--- "://" and its last '@', the values of *pass* parameters.
---@param conninfo string
---@return string[]
function pg.conninfo_secrets(conninfo) end

--- text with each of the secrets replaced by xxxxx.
---@param text string
---@param secrets string[]
---@return string
function pg.scrub(text, secrets) end

--- PQping: would the server accept a connection?
---@param conninfo string
---@return "ok"|"reject"|"no_response"|"no_attempt"
function pg.ping(conninfo) end

--- A connection (metatable "dbhost.pg.conn"); close is idempotent, also __gc/__close.
---@class dbhost.pg.conn
local conn = {}

--- Run sql. Without parameters it may hold several statements (the last result
--- is returned); with parameters it is one statement (nil = NULL, numbers and
--- booleans as text).
---@param sql string
---@param ... string|number|boolean|nil parameters $1, $2, ...
---@return dbhost.pg.result|nil res
---@return dbhost.pg.error? err
---@return string? sqlstate
function conn:exec(sql, ...) end

--- Run a script; one result per statement.
---@param sql string
---@return dbhost.pg.result[]|nil results
---@return dbhost.pg.error? err with statement_index
---@return string? sqlstate
function conn:exec_all(sql) end

--- Send a query and return at once (several connections can work at the same time);
--- conn:result() waits for its answer. Parameters as for exec.
---@param sql string
---@param ... any
---@return true|nil ok
---@return dbhost.pg.error? err
---@return string? sqlstate
function conn:send(sql, ...) end

--- Wait for the answer to what conn:send sent.
---@return dbhost.pg.result|nil res
---@return dbhost.pg.error? err
---@return string? sqlstate
function conn:result() end

--- The next result of what conn:send sent (one per statement), as soon as it has
--- arrived; false once all were read. A failed statement's error ends the list.
---@return dbhost.pg.result|false|nil res
---@return dbhost.pg.error? err
---@return string? sqlstate
function conn:next_result() end

--- Whether the sent query still runs (never waits).
---@return boolean
function conn:busy() end

--- conn:exec(...).rows
---@param sql string
---@param ... string|number|boolean|nil
---@return table<string, string|nil>[]|nil rows
---@return dbhost.pg.error? err
---@return string? sqlstate
function conn:query(sql, ...) end

--- Statement timeout for later calls (canceled on the server, sqlstate "57014").
---@param seconds number|nil nil or 0: none
function conn:set_timeout(seconds) end

--- The notices collected since the last call ("NOTICE: text"), forgotten once returned.
---@return string[]
function conn:notices() end

---@return "ok"|"bad"
function conn:status() end

---@return "idle"|"active"|"intrans"|"inerror"|"unknown"
function conn:transaction_status() end

---@return integer
function conn:backend_pid() end

--- e.g. 150004 for 15.4
---@return integer
function conn:server_version() end

---@return integer
function conn:socket() end

---@param s string
---@return string|nil quoted
---@return string? message
---@return string? code "22021" (bad encoding)
function conn:escape_identifier(s) end

---@param s string
---@return string|nil quoted
---@return string? message
---@return string? code "22021"
function conn:escape_literal(s) end

--- Ask the server to cancel whatever the connection runs.
---@return true|nil ok
---@return string? message
---@return string? code "08001"
function conn:cancel() end

---@return true
function conn:close() end

return pg
