--- dbhost.aws.runtime: the Lambda Runtime API loop (a custom runtime for provided.al2023).
--
--   runtime.main([env]) -> exit status (normally never returns: Lambda freezes
--     and kills the process)
--
-- GET /runtime/invocation/next (no timeout: the process may be frozen between
-- events), run the handler, then POST /runtime/invocation/{id}/response with
-- its result as JSON, or POST .../{id}/error with {errorMessage, errorType,
-- stackTrace}. A failure before the first event (no handler, a handler that
-- does not load) is POSTed to /runtime/init/error and the process exits.
--
-- The handler is named by _HANDLER ("migrate" or "migrate.handler": script
-- "migrate", function "handler"). Its script is found like a command: the
-- function code's scripts/handlers/ (under LAMBDA_TASK_ROOT), then each entry
-- of DBHOST_HANDLER_PATH (';'-separated), then the layer's scripts/handlers/
-- (beside bin/dbhost), then the scripts bundled into dbhost. It returns a table
-- with that function, called as fn(event, context), with _X_AMZN_TRACE_ID in
-- the process environment set to the invocation's Lambda-Runtime-Trace-Id
-- (unset when it has none), as the Runtime API asks of a custom runtime:
--   context = { request_id=, deadline= (Unix seconds), function_arn=, trace_id=,
--               task_root=, layer_root=, remaining = function() -> seconds }
local cjson = require "cjson"
local http = require "dbhost.http"
local fs = require "dbhost.fs"
local host = require "dbhost.host"
local errors = require "dbhost.errors"
local proc = require "dbhost.proc"

local M = {}

M.API_VERSION = "2018-06-01"

local function is_file(path)
  local st = fs.stat(path)
  return st ~= nil and st.type == "file"
end

--- runtime.layer_root() -> the folder holding bin/dbhost (the layer's root), or nil
function M.layer_root()
  local exe = fs.realpath("/proc/self/exe")
  if not exe then return nil end
  local bin = exe:match("^(.*)/[^/]+$")
  return bin and bin:match("^(.*)/bin$") or nil
end

--- runtime.handler_path(env) -> { dir, ... } ("(bundled)" marks the embedded scripts)
function M.handler_path(env)
  env = env or os.getenv
  local dirs = {}
  local task = env("LAMBDA_TASK_ROOT")
  dirs[#dirs + 1] = ((task and task ~= "") and task or ".") .. "/scripts/handlers"
  for entry in (env("DBHOST_HANDLER_PATH") or ""):gmatch("[^;]+") do dirs[#dirs + 1] = entry end
  local layer = M.layer_root()
  if layer then dirs[#dirs + 1] = layer .. "/scripts/handlers" end
  dirs[#dirs + 1] = "(bundled)"
  return dirs
end

--- runtime.load_handler(spec, env) -> fn, location | nil, message
function M.load_handler(spec, env)
  if not spec or spec == "" then return nil, "_HANDLER is not set (the function's Handler, e.g. \"migrate\")" end
  local script, fname = spec:match("^([%w][%w_-]*)%.?([%w_]*)$")
  if not script then
    return nil, ("_HANDLER %q is not a handler name (a script name, optionally .function)"):format(spec)
  end
  if fname == "" then fname = "handler" end
  for _, dir in ipairs(M.handler_path(env)) do
    local chunk, err, where
    if dir == "(bundled)" then
      if host.bundle_read("handlers/" .. script .. ".lua") then
        where = "(bundled) handlers/" .. script .. ".lua"
        chunk = host.bundle_load("handlers/" .. script .. ".lua")
      end
    elseif is_file(dir .. "/" .. script .. ".lua") then
      where = dir .. "/" .. script .. ".lua"
      chunk, err = loadfile(where, "t")
      if not chunk then return nil, err end
    end
    if chunk then
      local ok, mod = pcall(chunk)
      if not ok then return nil, ("%s: %s"):format(where, tostring(mod)) end
      local fn = type(mod) == "table" and mod[fname] or (type(mod) == "function" and fname == "handler" and mod)
      if type(fn) ~= "function" then
        return nil, ("%s: the handler script must return a table with a function %q"):format(where, fname)
      end
      return fn, where
    end
  end
  return nil, ("no handler script %q (looked in %s)"):format(script,
    table.concat(M.handler_path(env), ", "))
end

local now = http.now

local function log(fmt, ...)
  io.stderr:write(("dbhost: " .. fmt .. "\n"):format(...))
  io.stderr:flush()
end

local Api = {}
Api.__index = Api

function M.api(address)
  return setmetatable({ base = ("http://%s/%s/runtime/"):format(address, M.API_VERSION) }, Api)
end

local function error_doc(message, kind)
  return cjson.encode { errorMessage = message, errorType = kind, stackTrace = {} }
end

function Api:post(path, body, headers)
  headers = headers or {}
  headers[#headers + 1] = { "Content-Type", "application/json" }
  local res, err, code = http.request { method = "POST", url = self.base .. path, body = body,
                                        headers = headers, timeout = 30, connect_timeout = 5 }
  if not res then return nil, err, code end
  if res.status ~= 202 and res.status ~= 200 then
    return nil, ("Runtime API %s: HTTP %d %s"):format(path, res.status, res.body:sub(1, 200)), "HTTP" .. res.status
  end
  return true
end

function Api:next()
  local res, err, code = http.request { method = "GET", url = self.base .. "invocation/next" }
  if not res then return nil, err, code end
  if res.status ~= 200 then
    return nil, ("Runtime API invocation/next: HTTP %d %s"):format(res.status, res.body:sub(1, 200)), "HTTP" .. res.status
  end
  return res
end

function Api:init_error(message, kind)
  return self:post("init/error", error_doc(message, kind or "Runtime.InitError"),
                   { { "Lambda-Runtime-Function-Error-Type", kind or "Runtime.InitError" } })
end

--- runtime.invoke(fn, res, env) -> ok, result_json | nil, error_json, kind
-- Runs the handler for one /next answer; never raises.
function M.invoke(fn, res, env)
  local h = res.headers
  local deadline_ms = tonumber(h["lambda-runtime-deadline-ms"])
  local ctx = {
    request_id = h["lambda-runtime-aws-request-id"],
    deadline = deadline_ms and deadline_ms / 1000 or (now() + 900),
    function_arn = h["lambda-runtime-invoked-function-arn"],
    trace_id = h["lambda-runtime-trace-id"],
    task_root = env("LAMBDA_TASK_ROOT") or ".",
    layer_root = M.layer_root(),
  }
  ctx.remaining = function() return ctx.deadline - now() end
  -- the X-Ray header of this invocation, never the previous one's
  local trace = ctx.trace_id
  proc.setenv("_X_AMZN_TRACE_ID", (trace and trace ~= "" and not trace:find("\0", 1, true)) and trace or nil)
  local okj, event = pcall(cjson.decode, res.body)
  if not okj then
    return nil, error_doc("the event is not JSON: " .. tostring(event):sub(1, 200), "Runtime.InvalidEvent"),
      "Runtime.InvalidEvent"
  end
  local ok, result = xpcall(fn, function(e)
    if errors.field(e, "message") ~= nil then return e end
    return debug.traceback(tostring(e), 2)
  end, event, ctx)
  if not ok then
    local msg = errors.message(result)
    msg = msg:match("^(.-)\nstack traceback:") or msg
    return nil, error_doc(msg:sub(1, 4000), "Runtime.HandlerError"), "Runtime.HandlerError"
  end
  local okr, text = pcall(cjson.encode, result == nil and cjson.null or result)
  if not okr then
    return nil, error_doc("the handler's result is not JSON: " .. tostring(text), "Runtime.HandlerError"),
      "Runtime.HandlerError"
  end
  return true, text
end

function M.main(env)
  env = env or os.getenv
  local address = env("AWS_LAMBDA_RUNTIME_API")
  if not address or address == "" then
    errors.config("AWS_LAMBDA_RUNTIME_API is not set: this command runs inside AWS Lambda (or a stand-in of its Runtime API)")
  end
  local api = M.api(address)
  local fn, where = M.load_handler(env("_HANDLER"), env)
  if not fn then
    log("%s", where)
    local ok, err = api:init_error(where, "Runtime.InitError")
    if not ok then log("%s", err) end
    return 1
  end
  while true do
    local res, err = api:next()
    if not res then
      log("%s", err)
      return 1
    end
    local id = res.headers["lambda-runtime-aws-request-id"]
    if not id or not id:match("^[%w%-_.:]+$") then
      log("invocation/next gave no usable Lambda-Runtime-Aws-Request-Id")
      return 1
    end
    local ok, text, kind = M.invoke(fn, res, env)
    local posted, perr
    if ok then
      posted, perr = api:post("invocation/" .. id .. "/response", text)
    else
      log("request %s failed: %s", id, (cjson.decode(text).errorMessage or ""):gsub("\n", " "))
      posted, perr = api:post("invocation/" .. id .. "/error", text,
                              { { "Lambda-Runtime-Function-Error-Type", kind } })
    end
    if not posted then log("%s", perr) end
    collectgarbage()
  end
end

return M
