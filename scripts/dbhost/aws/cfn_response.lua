--- dbhost.aws.cfn_response: answering a CloudFormation custom-resource request.
--
--   cfn_response.body(event, status, physical_id, reason, data) -> json (<= 4096 bytes)
--   cfn_response.send(url, body, deadline) -> true, http_status | nil, msg, code
--
-- The body copies StackId, RequestId and LogicalResourceId from the request.
-- Reason is cut (at a UTF-8 boundary, marked with "...") so that the whole body
-- stays within CloudFormation's 4,096 bytes. The PUT goes to the pre-signed
-- ResponseURL exactly as given, with an empty Content-Type (older pre-signed
-- URLs sign it) and is retried on a network error or a 5xx until `deadline`
-- (Unix seconds).
local cjson = require "cjson"
local http = require "dbhost.http"
local proc = require "dbhost.proc"

local M = {}

M.MAX_BODY = 4096

--- cfn_response.cut_utf8(s, n) -> at most n bytes of s, no character split
local function cut_utf8(s, n)
  if #s <= n then return s end
  local cut = n
  -- step back over continuation bytes so no character is split
  while cut > 0 and (s:byte(cut + 1) or 0) & 0xC0 == 0x80 do cut = cut - 1 end
  return s:sub(1, cut)
end

function M.body(event, status, physical_id, reason, data)
  local doc = {
    Status = status,
    PhysicalResourceId = physical_id,
    StackId = event.StackId,
    RequestId = event.RequestId,
    LogicalResourceId = event.LogicalResourceId,
    NoEcho = false,
  }
  if data and next(data) ~= nil then doc.Data = data end
  if reason then doc.Reason = reason end
  local text = cjson.encode(doc)
  if #text <= M.MAX_BODY or not reason then return text end
  -- the longest prefix of the reason whose encoded body fits (escapes make it grow)
  local lo, hi = 0, #reason
  while lo < hi do
    local mid = (lo + hi + 1) // 2
    doc.Reason = cut_utf8(reason, mid) .. "..."
    if #cjson.encode(doc) <= M.MAX_BODY then lo = mid else hi = mid - 1 end
  end
  doc.Reason = cut_utf8(reason, lo) .. "..."
  return cjson.encode(doc)
end

local now = http.now

function M.send(url, body, deadline, cainfo)
  local delay, last_msg, last_code = 0.2, nil, nil
  local attempt = 0
  while true do
    attempt = attempt + 1
    local left = deadline and (deadline - now()) or 30
    local res, err, code = http.request {
      method = "PUT", url = url, body = body, cainfo = cainfo,
      headers = { { "Content-Type", "" } },
      timeout = math.max(0.5, math.min(15, left)), connect_timeout = math.max(0.5, math.min(5, left)),
    }
    if res and res.status >= 200 and res.status < 300 then return true, res.status end
    if res and res.status < 500 then
      return nil, ("the response URL refused the answer: HTTP %d"):format(res.status), "HTTP" .. res.status
    end
    last_msg = res and ("HTTP " .. res.status) or err
    last_code = res and ("HTTP" .. res.status) or code
    left = deadline and (deadline - now()) or (attempt < 5 and 1 or -1)
    if left <= delay then
      return nil, ("could not deliver the answer after %d attempts: %s"):format(attempt, tostring(last_msg)), last_code
    end
    proc.sleep(delay)
    delay = math.min(delay * 2, 2)
  end
end

M.cut_utf8 = cut_utf8
return M
