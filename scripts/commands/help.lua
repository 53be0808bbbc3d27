-- dbhost help: list the commands, one line each, from the scripts themselves.
local main = require "dbhost.main"

return {
  summary = "List the commands, or show one command's usage",
  usage = "dbhost help [COMMAND...]",
  args = { min = 0, max = 3 },
  run = function(_, args)
    if #args > 0 then
      return main.run_command(table.move(args, 1, #args, 1, { [#args + 1] = "--help" }))
    end
    local out = { "Usage: dbhost COMMAND [FLAGS]\n", "Commands:", main.list_commands(main.commands()),
      "Run 'dbhost COMMAND --help' for a command's flags, 'dbhost which COMMAND' for its script." }
    io.stdout:write(table.concat(out, "\n"), "\n")
    return 0
  end,
}
