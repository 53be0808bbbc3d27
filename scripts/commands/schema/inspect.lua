-- dbhost schema inspect: print a database's schema as SQL that recreates it (or as JSON).
local errors = require "dbhost.errors"
local json = require "dbhost.json"
local source = require "dbhost.schema.source"
local render = require "dbhost.schema.render"

return {
  summary = "Print a database's schema as SQL that recreates it (or as the JSON model)",
  usage = "dbhost schema inspect --url URL [--schema NAME ...] [--format sql|json]",
  description = [[
Reads the schema through the system catalogs (one query per kind of object):
schemas, extensions, enums, domains, composite types, sequences, tables with
their columns, constraints, indexes, partitions and inheritance, views,
materialized views, functions, procedures, triggers, row-level security
policies, comments and grants. The SQL output creates everything in dependency
order on a new database. The URL may also be file://schema.sql, file://DIR or
dir://migrations (loaded on a throwaway dev database, see --dev-url).]],
  options = {
    { "url", arg = "URL", help = "the database (or file://, dir:// source) to inspect" },
    { "schema", arg = "NAME", many = true, help = "only this schema (repeatable); default: all user schemas" },
    { "format", arg = "FORMAT", choices = { "sql", "json" }, default = "sql", help = "output format" },
    { "dev-url", arg = "URL", help = "dev database for file:// and dir:// sources (default local://postgres)" },
  },
  run = function(opts)
    if not opts.url then errors.usage("schema inspect needs --url (see 'dbhost schema inspect --help')") end
    local m, err = source.load(opts.url, { schemas = opts.schema, dev_url = opts.dev_url })
    if not m then errors.failed("%s", err) end
    if opts.format == "json" then
      local out = {}
      for k, v in pairs(m) do if k ~= "deps" then out[k] = v end end
      io.stdout:write(json.encode(out, "  "), "\n")
    else
      local text, rerr = render.sql(m)
      if not text then errors.failed("%s", rerr) end
      io.stdout:write(text)
    end
    return 0
  end,
}
