-- dbhost which: show the script a command would run.
local main = require "dbhost.main"
local errors = require "dbhost.errors"

return {
  summary = "Print the script file that a command would run",
  usage = "dbhost which COMMAND...",
  description = [[
The search path is the project's scripts/commands/, then DBHOST_PATH
(';'-separated, ';;' for the defaults), then the scripts bundled in dbhost.
Bundled scripts print as "(bundled) commands/NAME.lua".]],
  args = { min = 1, max = 3, name = "a command name" },
  run = function(_, args)
    local location, name = main.find(args)
    if not location or name ~= table.concat(args, " "):gsub("%s+", " ") then
      errors.failed("no command '%s' on the search path", table.concat(args, " "))
    end
    io.stdout:write(location, "\n")
    return 0, name
  end,
}
