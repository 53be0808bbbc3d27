-- dbhost lambda runtime: the AWS Lambda Runtime API loop (what the layer's bootstrap runs).
-- In the layer (bin/dbhost beside lib/), the layer's Lua C modules (lua-cjson) come
-- first: Amazon Linux has none, and the layer's must win over any the system has.
do
  local exe = require("dbhost.fs").realpath("/proc/self/exe")
  local root = exe and exe:match("^(.*)/bin/[^/]+$")
  if root then package.cpath = root .. "/lib/lua/5.4/?.so;" .. package.cpath end
end
local runtime = require "dbhost.aws.runtime"

return {
  summary = "Run as an AWS Lambda custom runtime (the layer's bootstrap runs this)",
  usage = "dbhost lambda runtime",
  description = [[
Serves AWS Lambda's Runtime API at $AWS_LAMBDA_RUNTIME_API: fetches each event,
runs the handler named by $_HANDLER (e.g. "migrate": scripts/handlers/migrate.lua
of the function code, else the layer's, else the bundled one) and posts its
result or error. Build the layer with 'dbhost bundle-lambda'.]],
  args = { min = 0, max = 0 },
  run = function() return runtime.main() end,
}
