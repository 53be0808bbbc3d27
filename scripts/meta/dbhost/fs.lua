---@meta dbhost.fs
-- What Lua sees of bindings/fs.c: filesystem work for the scripts.
--
-- Error convention (all of dbhost's C bindings): misuse (a wrong argument type)
-- raises; an operational failure returns nil, message, code where code is the
-- errno name ("ENOENT", "EACCES", ...) and message is "<path>: <strerror>".

---@class dbhost.fs
local fs = {}

---@class dbhost.fs.stat
---@field type "file"|"directory"|"link"|"other"
---@field size integer bytes
---@field mode integer permission bits (e.g. 420 for 0644)
---@field mtime integer seconds since the epoch
---@field uid integer owner
---@field gid integer group

--- Read a whole file; with nofollow, a symbolic link is refused ("ELOOP").
---@param path string
---@param nofollow? boolean
---@return string|nil data
---@return string? message
---@return string? code errno name
function fs.read(path, nofollow) end

--- Write atomically: "<path>.tmp-XXXXXX" beside the target, fsync, rename over it.
--- Without mode an existing file keeps its mode (else 0644).
---@param path string
---@param data string
---@param mode? integer e.g. 384 for 0600
---@return true|nil ok
---@return string? message
---@return string? code
function fs.write(path, data, mode) end

--- Names in a directory (no "." or ".."), sorted by bytes.
---@param path string
---@return string[]|nil names
---@return string? message
---@return string? code
function fs.list(path) end

---@param path string
---@param nofollow? boolean describe a link itself, not its target
---@return dbhost.fs.stat|nil st
---@return string? message
---@return string? code
function fs.stat(path, nofollow) end

--- Make a directory; an existing directory is fine.
---@param path string
---@param mode? integer default 0755 (umask applies)
---@return true|nil ok
---@return string? message
---@return string? code
function fs.mkdir(path, mode) end

--- A new private (0700) directory prefix-XXXXXX under parent ($TMPDIR, else /tmp).
---@param prefix? string default "dbhost"
---@param parent? string
---@return string|nil path
---@return string? message
---@return string? code
function fs.mkdtemp(prefix, parent) end

--- chmod that never follows a link.
---@param path string
---@param mode integer
---@return true|nil ok
---@return string? message
---@return string? code
function fs.chmod(path, mode) end

--- The target of a symbolic link.
---@param path string
---@return string|nil target
---@return string? message
---@return string? code
function fs.readlink(path) end

--- Copy directories and regular files, never following a link on either side: `to` must
--- not exist and is made 0700; entries are created O_EXCL|O_NOFOLLOW with the source's
--- mode and, with uid, that owner. A link, special or hard-linked file is refused
--- ("ELOOP", "EINVAL", "EMLINK").
---@param from string
---@param to string
---@param uid? integer
---@param gid? integer
---@return true|nil ok
---@return string? message
---@return string? code
function fs.copytree(from, to, uid, gid) end

--- Remove a file or an empty directory.
---@param path string
---@return true|nil ok
---@return string? message
---@return string? code
function fs.remove(path) end

--- Remove a tree; never follows links; a missing path is fine.
---@param path string
---@return true|nil ok
---@return string? message
---@return string? code
function fs.rmtree(path) end

---@param from string
---@param to string
---@return true|nil ok
---@return string? message
---@return string? code
function fs.rename(from, to) end

---@param path string
---@param uid integer
---@param gid integer
---@return true|nil ok
---@return string? message
---@return string? code
function fs.chown(path, uid, gid) end

--- The absolute path with links resolved.
---@param path string
---@return string|nil path
---@return string? message
---@return string? code
function fs.realpath(path) end

--- The current directory.
---@return string
function fs.cwd() end

--- Is the descriptor (0, 1, 2, ...) a terminal?
---@param fd integer
---@return boolean
function fs.isatty(fd) end

return fs
