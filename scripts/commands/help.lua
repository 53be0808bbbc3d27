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
    local rows, width = {}, 0
    for _, c in ipairs(main.commands()) do
      local ok, spec = pcall(main.load, c.location)
      local summary = ok and spec.summary or ("(cannot load: " .. tostring(spec) .. ")")
      rows[#rows + 1] = { c.name, summary }
      width = math.max(width, #c.name)
    end
    local out = { "Usage: dbhost COMMAND [FLAGS]\n", "Commands:" }
    for _, r in ipairs(rows) do
      out[#out + 1] = ("  %-" .. width .. "s  %s"):format(r[1], r[2])
    end
    out[#out + 1] = ""
    out[#out + 1] = "Run 'dbhost COMMAND --help' for a command's flags, 'dbhost which COMMAND' for its script."
    io.stdout:write(table.concat(out, "\n"), "\n")
    return 0
  end,
}
