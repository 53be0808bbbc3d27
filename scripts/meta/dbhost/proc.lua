---@meta dbhost.proc
-- What Lua sees of bindings/proc.c: child processes run from argv lists,
-- never through a shell; each child leads its own process group.
--
-- Errors: misuse raises; operational failure returns nil, message, code
-- (errno names; an exec failure comes back as "prog: No such file or
-- directory", "ENOENT", never confused with exit status 127). Ctrl-C during
-- a blocking call raises { message = "interrupted", status = 130 }.

---@class dbhost.proc
local proc = {}

---@class dbhost.proc.options
---@field argv (string|number)[] argv[1] without a slash is looked up in the child's PATH (default "/bin:/usr/bin")
---@field env? table<string, string> the child's whole environment (nil: inherit ours)
---@field env_add? table<string, string|false> merged into env; false unsets
---@field cwd? string
---@field user? string|integer run as this user (when root; else "EPERM" unless ourselves)
---@field stdout? "capture"|"inherit"|"null"|string run's default "capture", spawn's "null"; a path appends
---@field stderr? "capture"|"inherit"|"null"|string
---@field death_signal? string|integer Linux: the signal the child gets when dbhost dies
---@field stdin? string run: text written to the child (nil: /dev/null); spawn: nil or "null"
---@field timeout? number run: seconds, then SIGTERM to the group and SIGKILL `grace` seconds later
---@field grace? number run: seconds between that SIGTERM and SIGKILL (default 0.5)

---@class dbhost.proc.result
---@field status? integer exit status (nil when killed by a signal)
---@field signal? integer
---@field stdout? string when captured
---@field stderr? string when captured
---@field timed_out? boolean
---@field elapsed number seconds

--- Run a program to its end.
---@param opts dbhost.proc.options
---@return dbhost.proc.result|nil result
---@return string? message
---@return string? code
function proc.run(opts) end

--- Start a program and return at once.
---@param opts dbhost.proc.options
---@return dbhost.proc.process|nil p
---@return string? message
---@return string? code
function proc.spawn(opts) end

--- Send a signal to a pid.
---@param pid integer
---@param sig? string|integer "TERM" (default), "KILL", "INT", "HUP", "QUIT", "USR1", "USR2" or a number
---@return true|nil ok
---@return string? message
---@return string? code
function proc.kill(pid, sig) end

--- kill(pid, 0); EPERM counts as alive.
---@param pid integer
---@return boolean
function proc.alive(pid) end

---@return integer
function proc.pid() end

--- The effective uid.
---@return integer
function proc.uid() end

--- Seconds on the monotonic clock (for deadlines).
---@return number
function proc.now() end

---@param who string|integer name or uid
---@return {name: string, uid: integer, gid: integer, home: string, shell: string}|nil user
---@return string? message
---@return string? code "ENOENT"
function proc.user(who) end

--- The full path of a program.
---@param name string
---@param path? string default $PATH
---@return string|nil path
---@return string? message
---@return string? code "ENOENT"
function proc.which(name, path) end

--- Set (value nil: unset) a variable of dbhost's own environment: os.getenv and
--- children that inherit it see it. Not thread-safe: call it when no
--- http.watchdog thread runs.
---@param name string no "=" and no NUL
---@param value? string
---@return true|nil ok
---@return string? message
---@return string? code
function proc.setenv(name, value) end

--- Sleep; Ctrl-C raises "interrupted".
---@param seconds number
function proc.sleep(seconds) end

--- A started child (metatable "dbhost.proc.process"). Closing or collecting the
--- handle neither kills nor waits for the child.
---@class dbhost.proc.process
local process = {}

---@return integer
function process:pid() end

--- Reap the child: status, nil when it exited; false, signal when a signal
--- ended it; nil, "timeout", "ETIMEDOUT" when timeout seconds passed first.
---@param timeout? number
---@return integer|false|nil status
---@return integer|string|nil signal_or_message
---@return string? code
function process:wait(timeout) end

---@return boolean
function process:running() end

--- Signal the child's process group.
---@param sig? string|integer default "TERM"
---@return true|nil ok
---@return string? message
---@return string? code
function process:kill(sig) end

--- Forget the child (does not kill it); idempotent.
function process:close() end

return proc
