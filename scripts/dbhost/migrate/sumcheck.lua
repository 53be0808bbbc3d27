--- dbhost.migrate.sumcheck: report atlas.sum problems the way Atlas does.
local hash = require "dbhost.hash"
local fs = require "dbhost.fs"
local errors = require "dbhost.errors"

local M = {}

--- sumcheck.validate(dir [, computed]) -> true | nil, err: hash.validate with Atlas's wording in err.text
-- err.text is the block Atlas prints on stdout; err.message is the one-line error.
-- computed: the atlas.sum text hash.atlas_sum already made for dir; when the file
-- on disk is byte-identical to it the directory is valid without hashing it again.
function M.validate(dir, computed)
  if computed and fs.read(dir .. "/atlas.sum") == computed then return true end
  local ok, err = hash.validate(dir)
  if ok then return true end
  local lines = { "You have a checksum error in your migration directory.", "" }
  if err.reason then
    lines[#lines + 1] = ("\tL%d: %s was %s"):format(err.line, err.file, err.reason)
    lines[#lines + 1] = ""
  end
  lines[#lines + 1] = "Please check your migration files and run 'dbhost migrate hash' to re-hash the contents"
  lines[#lines + 1] = ""
  err.text = table.concat(lines, "\n") .. "\n"
  if err.code == "ENOTFOUND" then
    err.summary = "checksum file not found"
  elseif err.code == "EFORMAT" then
    err.summary = "checksum file format invalid"
  else
    err.summary = "checksum mismatch"
  end
  return nil, err
end

--- sumcheck.require_valid(dir [, computed, quiet]): validate, or end the command
-- Atlas's block goes to stdout (not when quiet: --format json); the error names
-- atlas.sum and its line. A missing or malformed atlas.sum is a configuration
-- error (exit 2), a directory that differs from it a failed check (exit 1).
function M.require_valid(dir, computed, quiet)
  local ok, err = M.validate(dir, computed)
  if ok then return true end
  if not quiet then io.stdout:write(err.text) end
  local path = dir .. "/atlas.sum"
  local where = { code = err.code, file = path, line = err.line }
  if err.code == "ENOTFOUND" then
    errors.raise_at(2, where, "%s not found: run 'dbhost migrate hash' to write it", path)
  elseif err.code == "EFORMAT" or err.reason == nil and err.line then
    errors.raise_at(2, where, "%s", (err.message or err.summary):gsub("^atlas%.sum", path))
  end
  errors.raise_at(1, where, "%s%s", err.summary, err.detail and (": " .. err.detail) or "")
end

return M
