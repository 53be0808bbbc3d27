-- dbhost lua: run a Lua file inside dbhost, with every binding available.
-- This is how test suites (busted) run against a sanitizer build of dbhost.
return {
  summary = "Run a Lua script inside dbhost (globals not strict), e.g. busted",
  usage = "dbhost lua SCRIPT [ARGS...]",
  description = [[
Runs SCRIPT as the stock 'lua' interpreter would, with arg[0] = SCRIPT and the
dbhost.* modules preloaded. Example: dbhost lua /usr/bin/busted tests/lua]],
  raw_args = true,
  run = function(_, args)
    local script = args[1]
    if not script then require("dbhost.errors").usage("'lua' needs a script (see 'dbhost lua --help')") end
    local argt = { [0] = script }
    for i = 2, #args do argt[i - 1] = args[i] end
    setmetatable(_G, nil)
    rawset(_G, "arg", argt)
    local chunk, err = loadfile(script)
    if not chunk then error(err, 0) end
    local ok = chunk(table.unpack(argt, 1, #argt))
    if ok == false then return 1 end
    return 0
  end,
}
