#!/usr/bin/env bash
# The README runs as written: every ```sh block (unless a "readme-test: not run (why)"
# comment precedes it) runs on a copy of the example project with dbhost on PATH and
# DATABASE_URL naming a fresh database; the sample output marked "readme-test: output
# of `CMD`" is what CMD prints (timings aside); every command of the table of commands
# exists and has the flags it shows.
. "$(dirname "$0")/lib/assert.sh"
. "$(dirname "$0")/lib/pg.sh"
scratch
trap 'drop_created_dbs; rm -rf "$SCRATCH"' EXIT
chmod 755 "$SCRATCH"
README="$DBHOST_SOURCE_DIR/README.md"
mkdir "$SCRATCH/project"
cd "$SCRATCH/project"
# the example project as a user has it after 'make build': its files and the build
cp -r "$DBHOST_SOURCE_DIR"/{atlas.hcl,schema.sql,cloud-formation.yaml,migrations,app,scripts,Makefile} .
mkdir -p tests tools && cp -r "$DBHOST_SOURCE_DIR/tests/lua" tests/
cp -p "$DBHOST_SOURCE_DIR/tools/bootstrap.sh" "$DBHOST_SOURCE_DIR/tools/pre-commit" tools/
ln -s "$(dirname "$DBHOST")" build
export PATH="$(dirname "$DBHOST"):$PATH"
export DBHOST_RUNTIME_DIR="$SCRATCH/runtime" DBHOST_CACHE_DIR="${DBHOST_CACHE_DIR:-$SCRATCH/cache}"

# --- split the README: sh blocks to run, output samples, the table -------------------
awk -v dir="$SCRATCH" '
  /^<!-- readme-test: not run/ { skip = 1; next }
  /^<!-- readme-test: output of `/ { match($0, /`[^`]*`/); cmd = substr($0, RSTART + 1, RLENGTH - 2); next }
  /^```sh$/ && !inblock { inblock = 1; n++; kind = skip ? "skipped" : "run"; skip = 0
                          file = sprintf("%s/block%02d.%s", dir, n, kind); printf "" > file; next }
  /^```text$/ && !inblock && cmd != "" { inblock = 1; o++; file = sprintf("%s/sample%02d.txt", dir, o)
                          print cmd > (file ".cmd"); cmd = ""; printf "" > file; next }
  /^```/ && inblock { inblock = 0; close(file); next }
  inblock { print >> file; next }
  /^```/ { skip = 0 }
' "$README"
ls "$SCRATCH"/block*.run >/dev/null 2>&1 || fail "no runnable sh block found in the README"
pass

# --- every runnable block exits 0 -----------------------------------------------------
# A sanitizer build links libasan, whose libgcc_s needs a glibc newer than Amazon Linux
# 2023's: there the README's bundle-lambda line must be refused, naming the file and symbol.
sanitized=false
grep -q __asan_init "$DBHOST" && sanitized=true
for block in "$SCRATCH"/block*.run; do
  if $sanitized && grep -q "lua5.4" "$block"; then
    # the stock interpreter loads build/lua/dbhost.so, which a sanitizer build does not
    # make (libasan cannot be loaded into lua5.4); the normal build's run covers this block
    echo "not run in the sanitizer build: $(basename "$block") (stock lua5.4)"
    continue
  fi
  url=$(newdb "readme_$(basename "$block" .run)")
  run env DATABASE_URL="$url" bash -e -o pipefail "$block"
  if $sanitized && grep -q "bundle-lambda" "$block"; then
    expect_rc 1 "bundle-lambda of a sanitizer build"
    expect_err "would not run on Amazon Linux 2023"
    continue
  fi
  [ "$rc" -eq 0 ] || fail "README block $(basename "$block") exit $rc:
$(cat "$block")
stdout: $out
stderr: $err"
  pass
done
echo "ran $(ls "$SCRATCH"/block*.run | wc -l) README blocks ($(ls "$SCRATCH"/block*.skipped 2>/dev/null | wc -l) marked not run)"

# --- sample outputs are what the commands print (timings aside) --------------------------
docker_answers=false
if command -v docker >/dev/null && docker info >/dev/null 2>&1; then docker_answers=true; fi
normalize() {
  sed -E 's/\(([0-9]+ms|[0-9]+\.[0-9]+s)\)/(TIME)/' |
    if $docker_answers; then sed -E 's/statements on .*/statements on DEV/'; else cat; fi
}
for sample in "$SCRATCH"/sample*.txt; do
  cmd=$(cat "$sample.cmd")
  run bash -c "$cmd"
  expect_rc 0 "$cmd"
  expect_eq "$(printf '%s\n' "$out" | normalize)" "$(normalize < "$sample")" "README sample output of $cmd"
done

# --- the table of commands: each command exists and has the flags it shows -----------
table=$(sed -n '/^| You want to | Run |$/,/^$/p' "$README")
[ -n "$table" ] || fail "no table of commands in the README"
cmds=$(grep -o '`dbhost [^`]*`' <<<"$table" | tr -d '`')
[ "$(wc -l <<<"$cmds")" -ge 10 ] || fail "too few commands in the table: $cmds"
while IFS= read -r c; do
  words=() flags=()
  read -ra parts <<<"${c#dbhost }"
  for w in "${parts[@]}"; do
    case "$w" in
      --*) flags+=("${w%%=*}") ;;
      -*|[A-Z]*|\"*|\[*|*://*) ;;
      *) [ ${#flags[@]} -eq 0 ] && words+=("$w") ;;
    esac
  done
  [ "${words[*]}" = help ] && { run dbhost help; expect_rc 0 "dbhost help"; continue; }
  [ "${words[0]}" = which ] && { run dbhost "${words[@]}"; expect_rc 0 "$c"; continue; }
  run dbhost "${words[@]}" --help
  expect_rc 0 "README table: $c"
  for f in "${flags[@]}"; do
    [[ "$out" == *"$f"* ]] || fail "README table: $c: 'dbhost ${words[*]} --help' has no $f"
    pass
  done
done <<<"$cmds"

summary
