-- dbhost migrate hash: write atlas.sum as Atlas does, and the template's MigrationHash.
local hash = require "dbhost.migrate.hash"

return {
  summary = "Write atlas.sum for the migration directory and MigrationHash in cloud-formation.yaml",
  usage = "dbhost migrate hash [--dir DIR] [--env NAME] [--template FILE] [--no-template]",
  description = [[
Computes the migration directory's integrity file exactly as 'atlas migrate hash'
does (byte for byte) and writes it as DIR/atlas.sum, then sets the MigrationHash
property of the DBSchemaMigration resource in the CloudFormation template to the
atlas.sum total. Files are replaced atomically: an interrupted run leaves the old
ones. A project without a template is fine.]],
  options = hash.options,
  run = hash.run,
}
