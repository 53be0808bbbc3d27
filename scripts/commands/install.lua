-- dbhost install: install what a project needs at run time, then warm the server cache.
local install = require "dbhost.install"

return {
  summary = "Install what the project needs at run time (PostgreSQL, optionally Docker) and warm the cache",
  usage = "dbhost install [--dry-run] [--with-docker] | dbhost install --git-hook [--dry-run]",
  description = [[
Installs the PostgreSQL server binaries through apt-get (Debian, Ubuntu), dnf
(Fedora, Amazon Linux) or brew (macOS) when they are missing, then creates the
cached data directory that makes throwaway servers start in a fraction of a
second. With --with-docker it also installs Docker (colima on macOS) and pulls
the image the project's dev URL names (docker://postgres/15/dev: postgres:15) when
an engine answers. Safe to run again: what is there is skipped. --dry-run prints
the plan and changes nothing. It ends by saying where this dbhost is and whether
it is the one on PATH.

--git-hook instead installs a git pre-commit hook that runs check-migrations on the
staged tree (quick when the commit touches neither migrations nor the desired schema).]],
  options = install.options,
  run = install.run,
}
