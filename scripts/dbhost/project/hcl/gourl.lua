--- dbhost.project.hcl.gourl: the pieces of Go's net/url that Atlas's url*()
-- functions use (escaping, split and join), for HCL's urlescape, urlsetpath,
-- urlqueryset and urluserinfo.
--
-- Note: this is about HCL function semantics (what Atlas computes for these
-- functions), not about database URLs. Parsing, redacting and search_path of
-- connection URLs belong to scripts/dbhost/db/url.lua (being written for
-- issue 10); if that module grows a split/join of the same shape, these
-- functions should use it.
local M = {}

-- Go's url.QueryEscape: unreserved characters stay, space is "+".
function M.query_escape(s)
  return (s:gsub("[^%w%-_%.~ ]", function(c) return string.format("%%%02X", c:byte()) end):gsub(" ", "+"))
end

-- Go's url.PathEscape-like escaping for user info.
function M.userinfo_escape(s)
  return (s:gsub("[^%w%-_%.~!$&'()*+,;=]", function(c) return string.format("%%%02X", c:byte()) end))
end

-- split_url(u) -> { scheme=, userinfo=, host=, path=, query=, fragment= }
function M.split_url(u)
  local parts = {}
  local rest = u
  local frag_at = rest:find("#", 1, true)
  if frag_at then parts.fragment, rest = rest:sub(frag_at + 1), rest:sub(1, frag_at - 1) end
  local q_at = rest:find("?", 1, true)
  if q_at then parts.query, rest = rest:sub(q_at + 1), rest:sub(1, q_at - 1) end
  local scheme, after = rest:match("^([%a][%w+.%-]*)://(.*)$")
  if not scheme then error("invalid URL \"" .. u .. "\"", 0) end
  parts.scheme = scheme
  local slash = after:find("/", 1, true)
  local authority = slash and after:sub(1, slash - 1) or after
  parts.path = slash and after:sub(slash) or ""
  local at = authority:match(".*()@")
  if at then
    parts.userinfo, parts.host = authority:sub(1, at - 1), authority:sub(at + 1)
  else
    parts.host = authority
  end
  return parts
end

-- join_url(parts) -> the URL split_url took apart, with its changes.
function M.join_url(p)
  local out = { p.scheme, "://" }
  if p.userinfo then out[#out + 1] = p.userinfo .. "@" end
  out[#out + 1] = p.host
  out[#out + 1] = p.path
  if p.query and p.query ~= "" then out[#out + 1] = "?" .. p.query end
  if p.fragment then out[#out + 1] = "#" .. p.fragment end
  return table.concat(out)
end


return M
