--- dbhost.project.workspace: what a command needs to know about the project it runs in.
--
-- Resolves, from the command's flags and atlas.hcl, the migration directory and
-- the CloudFormation template, the same way for every command:
--   --dir DIR        (or migration.dir of the selected env, default "migrations")
--   --env NAME       the env of atlas.hcl to use
--   --config FILE    the project file (default atlas.hcl; missing is fine)
--   --var K=V        values for atlas.hcl variables (repeatable)
--   --template FILE  the CloudFormation template (default cloud-formation.yaml when present
--                    and the directory is the project's own)
--   --template-resource NAME  its resource holding MigrationHash (default DBSchemaMigration);
--                    a template without it is a warning (said once), not an error
--   --no-template    leave the template alone
--
-- workspace.migration_settings(config) gives the migration block's settings an
-- applier uses (the Lambda migrate handler reads its package's atlas.hcl with it).
local fs = require "dbhost.fs"
local errors = require "dbhost.errors"
local project = require "dbhost.project.config"

local M = {}

--- The flags every project-aware command accepts (append to a command's options).
M.options = {
  { "dir", arg = "DIR", help = "migration directory (default: migration.dir in atlas.hcl, else migrations)" },
  { "env", arg = "NAME", help = "env block of atlas.hcl to use" },
  { "config", arg = "FILE", help = "project file", default = "atlas.hcl" },
  { "var", arg = "K=V", many = true, help = "set an atlas.hcl variable (repeatable)" },
}

--- The template flags (a list: pass it to workspace.with like one option).
M.template_option = {
  { "template", arg = "FILE", help = "CloudFormation template holding MigrationHash (default: cloud-formation.yaml when present)" },
  { "template-resource", arg = "NAME", default = "DBSchemaMigration",
    help = "the template's resource whose MigrationHash property follows atlas.sum" },
  { "no-template", help = "leave the CloudFormation template alone" },
}

--- workspace.with(options...) -> list: M.options followed by the given extra options
-- (an argument that is a list of options adds each)
function M.with(...)
  local list = {}
  for _, o in ipairs(M.options) do list[#list + 1] = o end
  for _, o in ipairs({ ... }) do
    if type(o[1]) == "table" then
      for _, x in ipairs(o) do list[#list + 1] = x end
    else
      list[#list + 1] = o
    end
  end
  return list
end

-- parse_vars({"k=v", ...}) -> { k = "v" }; a malformed --var is a usage error.
local function parse_vars(list)
  local vars = {}
  for _, kv in ipairs(list or {}) do
    local k, v = kv:match("^([%w_]+)=(.*)$")
    if not k then errors.usage("--var expects NAME=VALUE, got %q", kv) end
    vars[k] = v
  end
  return vars
end

local function exists(path)
  return fs.stat(path) ~= nil
end

--- workspace.open(opts) -> ws: { config=, dir=, template= | nil }
-- Raises a config error (exit 2) for a bad atlas.hcl, an unknown env or a
-- migration directory that does not exist.
function M.open(opts)
  local config, err = project.load {
    file = opts.config or "atlas.hcl",
    env = opts.env,
    vars = parse_vars(opts.var),
  }
  if not config then errors.config("%s", err) end
  local mig = config.migration or {}
  local project_dir = mig.path or project.dir_path(mig.dir or "file://migrations")
  if not project_dir and not opts.dir then
    errors.config("%s: migration.dir must be a file:// URL", config.file or "atlas.hcl")
  end
  local dir = (opts.dir or project_dir):gsub("^file://", "")
  local st = fs.stat(dir)
  if not st then
    errors.config("migration directory %s does not exist (set --dir or migration.dir in %s)", dir, opts.config or "atlas.hcl")
  elseif st.type ~= "directory" then
    errors.config("migration directory %s is not a directory", dir)
  end
  -- The project's template belongs to the project's migration directory: a
  -- --dir elsewhere leaves it alone unless --template names it.
  local template = opts.template
  local same_dir = project_dir and fs.realpath(dir) == fs.realpath((project_dir:gsub("^file://", "")))
  if template then
    if not exists(template) then errors.config("template %s does not exist", template) end
  elseif same_dir and exists("cloud-formation.yaml") then
    template = "cloud-formation.yaml"
  end
  if opts.no_template then template = nil end
  -- commands with the template flags (opts.template_resource has a default):
  -- a template without the resource is not the project's MigrationHash holder
  local resource = opts.template_resource
  if template and resource then
    local _, terr, code = require("dbhost.cfn").read_migration_hash(template, resource)
    if code == "ENORESOURCE" then
      io.stderr:write(("dbhost: warning: %s: MigrationHash is left alone (--template-resource NAME names "
        .. "another resource, --no-template skips the template)\n"):format(terr))
      template = nil
    end
  end
  return { config = config, dir = dir, template = template, template_resource = resource }
end

--- workspace.migration_settings(config) -> settings: what an applier takes from a
-- loaded atlas.hcl (project.load or ws.config), so every applier uses the same
-- revisions table and rules:
--   { revisions_schema = migration.revisions_schema | nil,
--     url_schema = the first schema of search_path= in the env's url | nil
--                  (the revisions table's schema when revisions_schema is unset),
--     exec_order = "linear" | "linear-skip" | "non-linear",
--     baseline = migration.baseline | nil, tx_mode = migration.tx_mode | nil,
--     lock_timeout = migration.lock_timeout (a duration text, default "10s") }
function M.migration_settings(config)
  local mig = config.migration or {}
  local url_schema
  if type(config.url) == "string" and config.url ~= "" then
    local _, schema = require("dbhost.db.url").split_search_path(config.url)
    url_schema = schema
  end
  return {
    revisions_schema = mig.revisions_schema, url_schema = url_schema,
    exec_order = mig.exec_order or "linear", baseline = mig.baseline, tx_mode = mig.tx_mode,
    lock_timeout = mig.lock_timeout or "10s",
  }
end

return M
