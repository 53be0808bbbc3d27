-- dbhost lambda runtime: the AWS Lambda Runtime API loop (what the layer's bootstrap runs).
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
