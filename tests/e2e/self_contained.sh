#!/usr/bin/env bash
# The repository tests on its own: no test, script or build file reads a path
# outside it (a shared sibling folder, this or another machine's home or work folder,
# "$DBHOST_SOURCE_DIR/.." and the like). Test data lives in tests/vectors/.
. "$(dirname "$0")/lib/assert.sh"
cd "$DBHOST_SOURCE_DIR"

# The files that run: tracked ones when this is a git checkout, else every file.
if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
  mapfile -t files < <(git ls-files -co --exclude-standard -- tests scripts cmake bench tools .ci fuzz host \
    bindings Makefile CMakeLists.txt README.md)
else
  mapfile -t files < <(find tests scripts cmake bench tools .ci fuzz host bindings Makefile CMakeLists.txt README.md -type f)
fi
[ "${#files[@]}" -gt 50 ] || fail "only ${#files[@]} files found under $PWD"

patterns=(
  '\.\./shared'                        # the sibling folder the test data once came from
  '(^|[^a-z])/wo''rk/'                 # the development machine's work tree (split: not a path here)
  '/home/[a-z_][a-z0-9_-]*/'         # someone's home folder
  '/Users/[A-Za-z]'                  # a macOS home folder
  '(^|[ "=:'\''(])/root/'            # root's home folder
  '(SOURCE_DIR|BINARY_DIR|BUILD_DIR)\}?/\.\.(/|$|")'   # climbing out of the repository
)
hits=""
for f in "${files[@]}"; do
  [ -f "$f" ] || continue
  # data files, and this script (it spells the patterns out in its comments and planted case)
  case "$f" in tests/vectors/*|tests/schema/cases/*|fuzz/corpus/*|tests/e2e/self_contained.sh) continue ;; esac
  for p in "${patterns[@]}"; do
    if m=$(grep -nE -- "$p" "$f"); then hits+="$f: $m"$'\n'; fi
  done
done
[ -z "$hits" ] || fail "paths outside the repository:"$'\n'"$hits"
pass

# The planted case: a file that reads the old sibling folder is found.
scratch
sibling="sha""red"   # (spelled in two parts: this file names no such folder itself)
printf 'DBHOST_VECTORS=%s\n' "\$DBHOST_SOURCE_DIR/../$sibling/vectors" > "$SCRATCH/planted.sh"
grep -qE -- "${patterns[0]}" "$SCRATCH/planted.sh" || fail "the sibling-folder pattern misses a planted reference"
pass
summary
