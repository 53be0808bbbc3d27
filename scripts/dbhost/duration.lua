--- dbhost.duration: durations as flags spell them.
--
--   duration.parse("10s") -> 10;  "500ms" -> 0.5;  "2m" / "2min" -> 120;  "1h" -> 3600
--   duration.parse(7) -> 7 (a number is seconds already);  duration.parse("soon") -> nil
local M = {}

-- Seconds per unit; a bare number is seconds.
local SCALE = { [""] = 1, s = 1, ms = 0.001, m = 60, min = 60, h = 3600 }

--- duration.parse(s) -> seconds | nil when s is not "<number><unit>"
function M.parse(s)
  if type(s) == "number" then return s end
  local n, unit = tostring(s):match("^%s*([%d.]+)%s*(%a*)%s*$")
  n = tonumber(n)
  local scale = SCALE[unit or ""]
  if not n or not scale then return nil end
  return n * scale
end

return M
