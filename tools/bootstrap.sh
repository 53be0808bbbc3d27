#!/usr/bin/env bash
# bootstrap.sh: install what building and testing dbhost needs, through the
# system's package manager (apt-get on Debian/Ubuntu, dnf on Fedora/Amazon
# Linux, brew on macOS). Idempotent: it installs only what is missing.
#
#   tools/bootstrap.sh [--check] [--dry-run]
#     --check    exit 0 if everything is there, 1 otherwise (installs nothing)
#     --dry-run  print the install command instead of running it
set -euo pipefail

mode=install
for a in "$@"; do
  case "$a" in
    --check) mode=check ;;
    --dry-run) mode=dry-run ;;
    *) echo "bootstrap.sh: unknown flag $a" >&2; exit 2 ;;
  esac
done

# What must be present, as commands and pkg-config modules.
need_cmds=(cc clang cmake make pkg-config lua5.4 busted initdb pg_ctl postgres zip unzip objdump strip luacheck cppcheck)
need_pc=(lua5.4 yaml-0.1 libpq openssl libcurl)

have_cmd() {
  case "$1" in
    # PostgreSQL server binaries live outside PATH on Debian
    initdb|pg_ctl|postgres) command -v "$1" >/dev/null 2>&1 || compgen -G "/usr/lib/postgresql/*/bin/$1" >/dev/null ;;
    *) command -v "$1" >/dev/null 2>&1 ;;
  esac
}

missing() {
  local m=()
  for c in "${need_cmds[@]}"; do have_cmd "$c" || m+=("cmd:$c"); done
  if command -v pkg-config >/dev/null 2>&1; then
    for p in "${need_pc[@]}"; do pkg-config --exists "$p" || m+=("pc:$p"); done
    # cmocka has no .pc on every system: look for the header
  fi
  # lua-cjson (JSON), and botocore for the Lambda end-to-end test's Secrets Manager stand-in
  if have_cmd lua5.4; then lua5.4 -e 'require "cjson"' >/dev/null 2>&1 || m+=("lua:cjson"); fi
  { /usr/bin/python3 -c 'import botocore' || python3 -c 'import botocore'; } >/dev/null 2>&1 || m+=("py:botocore")
  [ -e /usr/include/cmocka.h ] || [ -e /usr/local/include/cmocka.h ] || [ -e /opt/homebrew/include/cmocka.h ] || m+=("hdr:cmocka")
  # libpg_query (PostgreSQL's parser as a library) has no .pc file either
  [ -e /usr/include/pg_query.h ] || [ -e /usr/local/include/pg_query.h ] || [ -e /opt/homebrew/include/pg_query.h ] || m+=("hdr:pg_query")
  # libFuzzer and the sanitizer runtimes (clang's runtime package)
  if have_cmd clang; then
    echo 'int LLVMFuzzerTestOneInput(const char *d, long n){(void)d;(void)n;return 0;}' |
      clang -x c -fsanitize=fuzzer,address,undefined -o /dev/null - >/dev/null 2>&1 || m+=("lib:libfuzzer")
  fi
  printf '%s\n' "${m[@]:-}"
}

todo=$(missing | sed '/^$/d' || true)
if [ -z "$todo" ]; then
  [ "$mode" = check ] || echo "bootstrap: everything needed is installed"
  exit 0
fi
if [ "$mode" = check ]; then
  echo "bootstrap: missing: $(echo $todo)" >&2
  exit 1
fi

sudo_cmd=()
if [ "$(id -u)" -ne 0 ] && command -v sudo >/dev/null 2>&1; then sudo_cmd=(sudo); fi

run() {
  if [ "$mode" = dry-run ]; then echo "+ $*"; else echo "+ $*" >&2; "$@"; fi
}

os=$(uname -s)
if [ "$os" = Darwin ]; then
  command -v brew >/dev/null 2>&1 || { echo "bootstrap: Homebrew is needed on macOS (https://brew.sh)" >&2; exit 1; }
  run brew install cmake pkg-config lua@5.4 libyaml libpq openssl@3 cmocka postgresql@16 llvm luarocks \
      libpg_query cppcheck
  run luarocks --lua-version=5.4 install busted
  run luarocks --lua-version=5.4 install lua-cjson
  run luarocks --lua-version=5.4 install luacheck
elif command -v apt-get >/dev/null 2>&1; then
  pkgs=(build-essential clang cmake pkg-config git ca-certificates
        liblua5.4-dev lua5.4 lua-busted libyaml-dev libpq-dev libssl-dev libcurl4-openssl-dev
        libcmocka-dev postgresql postgresql-contrib python3-botocore zip unzip binutils
        libpg-query-dev lua-cjson lua-check cppcheck)
  export DEBIAN_FRONTEND=noninteractive
  run "${sudo_cmd[@]}" apt-get update -qq
  run "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${pkgs[@]}"
  # libFuzzer and the sanitizer runtimes: clang's runtime package of the same major version
  if [ "$mode" != dry-run ]; then
    v=$(clang --version | sed -n 's/.*clang version \([0-9][0-9]*\).*/\1/p' | head -n 1)
    run "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "libclang-rt-$v-dev"
  else
    echo "+ apt-get install libclang-rt-<clang major>-dev"
  fi
elif command -v dnf >/dev/null 2>&1; then
  run "${sudo_cmd[@]}" dnf install -y gcc clang compiler-rt cmake make pkgconf-pkg-config git \
      lua lua-devel libyaml-devel libpq-devel openssl-devel libcurl-devel libcmocka-devel \
      postgresql-server postgresql-contrib luarocks libpg_query-devel cppcheck python3-botocore zip unzip binutils
  run "${sudo_cmd[@]}" luarocks install busted
  run "${sudo_cmd[@]}" luarocks --lua-version=5.4 install lua-cjson
  run "${sudo_cmd[@]}" luarocks --lua-version=5.4 install luacheck
else
  echo "bootstrap: no supported package manager (apt-get, dnf, brew); install: $(echo $todo)" >&2
  exit 1
fi
