--- dbhost.migrate.dir: a migration directory as Atlas reads it.
--
-- Migration files are the top-level regular files whose names end in ".sql",
-- in byte order. A file's version is its name up to the first "_" (without
-- ".sql"), its description what follows. Each file carries its running hash
-- from atlas.sum (the value Atlas stores in the revisions table).
local fs = require "dbhost.fs"
local hash = require "dbhost.hash"
local sql = require "dbhost.sql"

local M = {}

local File = {}
File.__index = File

--- dir.version_of(name) -> version, description
function M.version_of(name)
  local base = name:gsub("%.sql$", "")
  local version, desc = base:match("^([^_]*)_(.*)$")
  if not version then return base, "" end
  return version, desc
end

--- file:text() -> the file's bytes (read once)
function File:text()
  if not self._text then
    self._text = assert(fs.read(self.path))
  end
  return self._text
end

--- file:statements() -> list of { text=, line=, col=, pos= } | nil, message
function File:statements()
  if not self._stmts then
    local stmts, err = sql.split(self:text(), self.path)
    if not stmts then return nil, err end
    self._stmts = stmts
  end
  return self._stmts
end

--- file:directives() -> { txmode=, checkpoint=, ... } | nil, message
function File:directives()
  if not self._directives then
    local d, err = sql.directives(self:text(), self.name)
    if not d then return nil, err end
    self._directives = d
  end
  return self._directives
end

--- file:statement_hashes() -> { "h1:...", ... }: Atlas's running hashes over statement texts
function File:statement_hashes()
  local stmts = assert(self:statements())
  local h = hash.new()
  local sums = {}
  for i, s in ipairs(stmts) do
    h:update(s.text)
    sums[i] = "h1:" .. hash.base64(h:digest())
  end
  h:close()
  return sums
end

--- file:is_checkpoint() -> bool
function File:is_checkpoint()
  local d = self:directives()
  return d ~= nil and d.checkpoint ~= nil
end

--- dir.open(path) -> dir | nil, message
-- dir.files is the list of migration files (atlas.sum order); dir.by_version maps versions to files.
function M.open(path)
  local text, entries = hash.atlas_sum(path)
  if not text then return nil, entries end
  local hashes = {}
  for _, e in ipairs(entries) do hashes[e.name] = e.hash end
  local d = { path = path, files = {}, by_version = {}, sum_text = text, total = entries.total }
  for _, e in ipairs(entries) do
    local version, desc = M.version_of(e.name)
    local f = setmetatable({ name = e.name, path = path .. "/" .. e.name, version = version,
                             description = desc, hash = hashes[e.name] }, File)
    d.files[#d.files + 1] = f
    d.by_version[version] = d.by_version[version] or f
  end
  return d
end

return M
