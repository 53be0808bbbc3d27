--- dbhost.linter.gitbase: which migration files are new against a git base.
--
--   gitbase.default_ref() -> ref | nil: the merge-base with the upstream branch,
--       else with origin/main, else with a local main (nil outside a repository or without any)
--   gitbase.files_at(ref, dir) -> { name = true } | nil, msg: .sql files of dir at ref
--   gitbase.changed(ref, paths) -> bool | nil, msg: does anything under paths differ
--       between ref and the working tree (staged, unstaged or untracked)? With
--       DBHOST_GIT_STAGED=1 (set by the pre-commit hook, which checks the index checked
--       out elsewhere): between ref and the index.
local proc = require "dbhost.proc"

local M = {}

local function git(args)
  local argv = { "git" }
  for _, a in ipairs(args) do argv[#argv + 1] = a end
  local r, err = proc.run { argv = argv, timeout = 30 }
  if not r then return nil, err end
  if r.status ~= 0 then return nil, (r.stderr or ""):gsub("%s+$", "") end
  return r.stdout
end

function M.default_ref()
  for _, upstream in ipairs({ "@{upstream}", "origin/main", "main" }) do
    local out = git({ "merge-base", "HEAD", upstream })
    if out and out:match("%x+") then return out:match("%x+") end
  end
  return nil
end

function M.files_at(ref, dir)
  local out, err = git({ "ls-tree", "--name-only", ref, dir .. "/" })
  if not out then return nil, err end
  local names = {}
  for line in out:gmatch("[^\n]+") do
    local name = line:match("([^/]+%.sql)$")
    if name then names[name] = true end
  end
  return names
end

function M.changed(ref, paths)
  local staged = os.getenv("DBHOST_GIT_STAGED") == "1"
  local args = { "diff", "--name-only", ref, "--" }
  if staged then args = { "diff", "--cached", "--name-only", ref, "--" } end
  for _, p in ipairs(paths) do args[#args + 1] = p end
  local out, err = git(args)
  if not out then return nil, err end
  if out:match("%S") then return true end
  if staged then return false end
  args = { "ls-files", "--others", "--exclude-standard", "--" }
  for _, p in ipairs(paths) do args[#args + 1] = p end
  out = git(args)
  return out ~= nil and out:match("%S") ~= nil
end

return M
