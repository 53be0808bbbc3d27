--- dbhost.cfn: the MigrationHash of a CloudFormation template.
--
-- A template deploys the schema through a custom resource named
-- DBSchemaMigration whose MigrationHash property changes whenever the
-- migration directory does, so CloudFormation re-runs it. These helpers read
-- that value and rewrite it in place: only the bytes of the scalar change
-- (comments, quoting, key order, tags and line endings stay as they are).
--
--   cfn.read_migration_hash(path [, resource])         -> value, loc | nil, msg, code
--   cfn.set_migration_hash(path, value [, resource])   -> true, changed | nil, msg, code
--
-- resource is the logical name of the resource (default DBSchemaMigration).
-- Codes are those of dbhost.fs (errno names) and dbhost.yaml ("EYAML",
-- "ENOPATH", "ENOTSCALAR", "ESTYLE"), and "ENORESOURCE" when the template has
-- no such resource. Messages name the file and, for YAML problems, the line and column.
local yaml = require("dbhost.yaml")
local fs = require("dbhost.fs")

local M = {}

--- The dotted path of the property inside the template.
M.MIGRATION_HASH_PATH = "Resources.DBSchemaMigration.Properties.MigrationHash"
M.DEFAULT_RESOURCE = "DBSchemaMigration"

local function hash_path(resource)
  return ("Resources.%s.Properties.MigrationHash"):format(resource or M.DEFAULT_RESOURCE)
end

-- A path that is not there: say whether the resource itself is missing.
local function missing(text, path, resource, msg, code)
  if code == "ENOPATH" then
    resource = resource or M.DEFAULT_RESOURCE
    -- (the resource is a mapping: locating it "fails" with ENOTSCALAR when it exists)
    local ok, _, rcode = yaml.locate(text, "Resources." .. resource, path)
    if not ok and rcode == "ENOPATH" then
      return nil, ("%s has no %s resource (Resources.%s)"):format(path, resource, resource), "ENORESOURCE"
    end
  end
  return nil, msg, code
end

--- cfn.read_migration_hash(path [, resource]) -> value, loc | nil, msg, code
-- value is the scalar's string; loc is yaml.locate's table (line, style, tag...).
function M.read_migration_hash(path, resource)
  local text, msg, code = fs.read(path)
  if not text then
    return nil, msg, code
  end
  local loc
  loc, msg, code = yaml.locate(text, hash_path(resource), path)
  if not loc then
    return missing(text, path, resource, msg, code)
  end
  return loc.value, loc
end

--- cfn.set_migration_hash(path, value [, resource]) -> true, changed | nil, msg, code
-- Writes the file atomically, and only when the value differs (changed is
-- false when it already had that value). On any error the file is untouched.
function M.set_migration_hash(path, value, resource)
  if type(value) ~= "string" then
    error(("bad argument #2 to 'set_migration_hash' (string expected, got %s)"):format(type(value)), 2)
  end
  local text, msg, code = fs.read(path)
  if not text then
    return nil, msg, code
  end
  local new
  new, msg, code = yaml.set_scalar(text, hash_path(resource), value, path)
  if not new then
    return missing(text, path, resource, msg, code)
  end
  if new == text then
    return true, false
  end
  local ok
  ok, msg, code = fs.write(path, new)
  if not ok then
    return nil, msg, code
  end
  return true, true
end

return M
