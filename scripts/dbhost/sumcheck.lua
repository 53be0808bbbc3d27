--- dbhost.sumcheck: report atlas.sum problems the way Atlas does.
local hash = require "dbhost.hash"

local M = {}

--- sumcheck.validate(dir) -> true | nil, err: hash.validate with Atlas's wording in err.text
-- err.text is the block Atlas prints on stdout; err.message is the one-line error.
function M.validate(dir)
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

return M
