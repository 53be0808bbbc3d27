--- dbhost.githook: the git pre-commit hook `dbhost install --git-hook` writes.
--
--   githook.install{ dry_run = bool, dbhost = path|nil } -> path, action | raises
--
-- The hook runs `dbhost check-migrations` on the STAGED tree (the index checked out
-- into a temporary folder, with git still pointed at the repository), so what is
-- checked is what is committed. check-migrations' quick mode makes it cheap when the
-- commit changes neither the migrations nor the desired schema. A pre-commit hook that
-- dbhost did not write is never replaced.
local proc = require "dbhost.proc"
local fs = require "dbhost.fs"
local errors = require "dbhost.errors"

local M = {}

M.MARKER = "# dbhost-pre-commit-hook v1"

local function git(args)
  local argv = { "git" }
  for _, a in ipairs(args) do argv[#argv + 1] = a end
  local r, err = proc.run { argv = argv, timeout = 30 }
  if not r then errors.config("git: %s", tostring(err)) end
  if r.status ~= 0 then errors.config("not in a git repository: %s", (r.stderr or ""):gsub("%s+$", "")) end
  return (r.stdout:gsub("%s+$", ""))
end

local function sh_quote(s)
  return "'" .. s:gsub("'", "'\\''") .. "'"
end

--- githook.script(dbhost) -> the hook's text
function M.script(dbhost)
  return table.concat({
    "#!/bin/sh",
    M.MARKER,
    "# Written by `dbhost install --git-hook`: refuse a commit whose staged migrations,",
    "# atlas.sum, MigrationHash and desired schema disagree or whose new migrations fail lint.",
    "# Skip once with `git commit --no-verify`.",
    "set -eu",
    "dbhost=" .. sh_quote(dbhost),
    "[ -x \"$dbhost\" ] || dbhost=$(command -v dbhost) || { echo 'pre-commit: dbhost not found' >&2; exit 1; }",
    "git_dir=$(cd \"$(git rev-parse --git-dir)\" && pwd)",
    "# git commit names the index being committed relative to the top: keep it valid after cd",
    "case \"${GIT_INDEX_FILE:-}\" in ''|/*) ;; *) GIT_INDEX_FILE=\"$(pwd)/$GIT_INDEX_FILE\"; export GIT_INDEX_FILE ;; esac",
    "prefix=$(git rev-parse --show-prefix)",
    "tmp=$(mktemp -d \"${TMPDIR:-/tmp}/dbhost-pre-commit.XXXXXX\")",
    "trap 'rm -rf \"$tmp\"' EXIT",
    "git checkout-index --all --prefix=\"$tmp/\"",
    "cd \"$tmp/$prefix\"",
    "status=0",
    "GIT_DIR=\"$git_dir\" GIT_WORK_TREE=\"$tmp\" DBHOST_GIT_STAGED=1 \"$dbhost\" check-migrations || status=$?",
    "exit $status",
    "",
  }, "\n")
end

--- githook.install(o) -> path, "installed"|"updated"|"would install"|"would update"
function M.install(o)
  local hooks = git({ "rev-parse", "--git-path", "hooks" })
  local path = hooks .. "/pre-commit"
  local old = fs.read(path)
  if old and not old:find(M.MARKER, 1, true) then
    errors.config("%s exists and was not written by dbhost: remove it, or call `dbhost check-migrations` from it", path)
  end
  local action = old and "updated" or "installed"
  if o.dry_run then return path, "would " .. (old and "update" or "install") end
  local exe = o.dbhost or fs.realpath("/proc/self/exe") or "dbhost"
  assert(fs.mkdir(hooks))
  local ok, err = fs.write(path, M.script(exe), tonumber("755", 8))
  if not ok then errors.failed("%s", err) end
  return path, action
end

return M
