#!/usr/bin/env bash
# pgserver.sh: a throwaway PostgreSQL server for the test suites (a ctest fixture).
#
#   pgserver.sh start DATADIR SOCKETDIR   initdb into DATADIR, serve on a unix socket in
#                                         SOCKETDIR only, wait until it accepts connections
#   pgserver.sh stop  DATADIR SOCKETDIR   stop it (immediate) and remove both directories
#
# Clients connect with postgresql:///postgres?host=SOCKETDIR&user=postgres (trust auth).
# The server log goes to DATADIR/../pg.log. Both commands are idempotent: start first
# removes whatever an earlier run left behind (stopping a live server), stop is a no-op
# when nothing runs.
#
# PostgreSQL refuses to run as root. When this script runs as root (ctest in CI), initdb
# and the server run as the unprivileged system user "dbhost", created when missing.
set -euo pipefail

RUN_USER=dbhost

die() {
  echo "pgserver.sh: $*" >&2
  exit 1
}

usage() {
  echo "usage: pgserver.sh start|stop DATADIR SOCKETDIR" >&2
  exit 2
}

# find_bindir: the directory holding initdb and postgres. PATH first (following
# symlinks to the real installation), then the newest Debian-style
# /usr/lib/postgresql/N/bin, then pg_config --bindir.
find_bindir() {
  local p dir
  if p=$(command -v initdb 2>/dev/null) && p=$(readlink -f "$p") &&
     [[ -x "$(dirname "$p")/postgres" ]]; then
    dirname "$p"
    return
  fi
  dir=$(printf '%s\n' /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
  if [[ -n "$dir" && -x "$dir/initdb" && -x "$dir/postgres" ]]; then
    echo "$dir"
    return
  fi
  if p=$(pg_config --bindir 2>/dev/null) && [[ -x "$p/initdb" && -x "$p/postgres" ]]; then
    echo "$p"
    return
  fi
  die "PostgreSQL server binaries (initdb, postgres) not found in PATH, /usr/lib/postgresql/*/bin or pg_config --bindir"
}

# tool NAME: the path of a PostgreSQL program, from BINDIR or else PATH.
tool() {
  if [[ -x "$BINDIR/$1" ]]; then
    echo "$BINDIR/$1"
  else
    command -v "$1" || die "$1 not found in $BINDIR or PATH"
  fi
}

# ensure_user: create the system user the server runs as (root only). Parallel runs may
# race on /etc/passwd's lock, so retry until the user exists.
ensure_user() {
  local i
  for i in 1 2 3 4 5 6 7 8 9 10; do
    getent passwd "$RUN_USER" >/dev/null && return 0
    useradd --system --no-create-home --shell /usr/sbin/nologin "$RUN_USER" 2>/dev/null && return 0
    sleep 0.2
  done
  getent passwd "$RUN_USER" >/dev/null || die "cannot create user $RUN_USER"
}

# as_server_user CMD...: run CMD as the server's user (ourselves unless root), from /
# so that an inaccessible working directory does not bother initdb or postgres.
as_server_user() {
  if [[ $(id -u) -eq 0 ]]; then
    (cd / && exec setpriv --reuid="$RUN_USER" --regid="$RUN_USER" --init-groups -- "$@")
  else
    (cd / && exec "$@")
  fi
}

# stop_server DATADIR: stop a server running on DATADIR, if any. Tries pg_ctl, then
# signals the postmaster named in postmaster.pid directly.
stop_server() {
  local data=$1 pid i
  [[ -f "$data/postmaster.pid" ]] || return 0
  pid=$(head -n 1 "$data/postmaster.pid" 2>/dev/null || true)
  [[ "$pid" =~ ^[0-9]+$ ]] || return 0
  kill -0 "$pid" 2>/dev/null || return 0
  as_server_user "$PG_CTL" -D "$data" -m immediate -w -t 10 stop >/dev/null 2>&1 || true
  # SIGQUIT is what "immediate" sends; SIGKILL if it still lingers.
  for i in $(seq 1 50); do
    kill -0 "$pid" 2>/dev/null || return 0
    if [[ $i -eq 1 ]]; then
      kill -QUIT "$pid" 2>/dev/null || true
    fi
    sleep 0.1
  done
  kill -KILL "$pid" 2>/dev/null || true
}

[[ $# -eq 3 ]] || usage
cmd=$1
DATADIR=$2
SOCKETDIR=$3
[[ "$DATADIR" == /* && "$SOCKETDIR" == /* ]] || die "DATADIR and SOCKETDIR must be absolute paths"
[[ "$DATADIR" != / && "$SOCKETDIR" != / ]] || die "refusing to use / as a directory"
BINDIR=$(find_bindir)
PG_CTL=$(tool pg_ctl)
PG_ISREADY=$(tool pg_isready)
LOG="$(dirname "$DATADIR")/pg.log"
export LC_ALL=C

case "$cmd" in
start)
  [[ $(id -u) -ne 0 ]] || ensure_user
  stop_server "$DATADIR"
  rm -rf "$DATADIR" "$SOCKETDIR"
  # DATADIR's folder may be in /tmp: made here if missing, else it must be this user's own
  # real folder (never a link another user planted)
  parent=$(dirname "$DATADIR")
  [[ -e $parent || -L $parent ]] || mkdir -p -m 755 "$parent"
  [[ -d $parent && ! -L $parent && $(stat -c %u "$parent") -eq $(id -u) ]] ||
    die "refusing $parent: not a folder of this user (a link, or another user's)"
  mkdir -m 700 "$DATADIR"
  mkdir -m 755 "$SOCKETDIR"
  : >"$LOG"
  if [[ $(id -u) -eq 0 ]]; then
    chown "$RUN_USER:$RUN_USER" "$DATADIR" "$SOCKETDIR"
    as_server_user test -w "$DATADIR" ||
      die "user $RUN_USER cannot reach $DATADIR (check the permissions of its parent directories)"
  fi

  as_server_user "$BINDIR/initdb" -D "$DATADIR" -U postgres -A trust --no-sync -E UTF8 \
    --locale=C >>"$LOG" 2>&1 || { tail -n 20 "$LOG" >&2; die "initdb failed (log: $LOG)"; }

  # The server is started in its own session with its output in the log, so ctest neither
  # waits for it nor kills it with the fixture's process group.
  as_server_user setsid "$BINDIR/postgres" -D "$DATADIR" -c listen_addresses= \
    -k "$SOCKETDIR" -F -c fsync=off -c full_page_writes=off -c synchronous_commit=off \
    </dev/null >>"$LOG" 2>&1 &
  server_pid=$!

  # Wait until it accepts connections (up to 30 s), failing early if it exited.
  for _ in $(seq 1 300); do
    if "$PG_ISREADY" -q -h "$SOCKETDIR" -U postgres -d postgres; then
      exit 0
    fi
    if ! kill -0 "$server_pid" 2>/dev/null && [[ ! -f "$DATADIR/postmaster.pid" ]]; then
      tail -n 20 "$LOG" >&2
      die "the server exited during startup (log: $LOG)"
    fi
    sleep 0.1
  done
  tail -n 20 "$LOG" >&2
  die "the server did not become ready within 30 s (log: $LOG)"
  ;;
stop)
  stop_server "$DATADIR"
  rm -rf "$DATADIR" "$SOCKETDIR"
  ;;
*)
  usage
  ;;
esac
