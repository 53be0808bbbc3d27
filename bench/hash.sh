#!/usr/bin/env bash
# bench/hash.sh: how fast is hash.atlas_sum on a big migration directory?
#
# Generates (once, cached under $TMPDIR) 10,000 migration files totalling about
# 50 MB of SQL-like text, then times
#   dbhost lua <snippet calling hash.atlas_sum(dir)>
# against the floor
#   cat <the files in byte order> | sha256sum
# best of 5 runs each with a warm page cache, and prints both and the ratio.
# The goal is a ratio <= 1.3; the exit status is 1 above it.
#
# Environment: BUILD   build directory (default "build", relative to the repo root)
#              FILES   number of files (default 10000)
#              RUNS    runs per command, best taken (default 5)
#              BENCH_SMOKE=1  a missed goal is reported, not an exit status of 1 (the
#                     ctest bench/smoke runs every bench at its smallest size)
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${BUILD:-build}
[[ $build = /* ]] || build=$root/$build
dbhost=$build/dbhost
files=${FILES:-10000}
runs=${RUNS:-5}
goal=1.3
export LC_ALL=C   # globs sort by bytes, like Atlas

if [[ ! -x $dbhost ]]; then
  echo "bench/hash.sh: $dbhost not found (build first, or set BUILD)" >&2
  exit 2
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/dbhost-bench-hash.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
data=${TMPDIR:-/tmp}/dbhost-bench-hash-data-v3-$files   # bump vN when the generator changes

# --- the data set (deterministic; regenerated only when missing) ------------
if [[ ! -f $data/.complete ]]; then
  rm -rf "$data"
  mkdir -p "$data"
  cat >"$tmp/generate.lua" <<'LUA'
-- Write N migration files of realistic SQL (about 5 KB each on average).
local dir, n = ...
n = tonumber(n)
local seed = 12345
local function rand(k)  -- a small LCG, so every run writes the same bytes
  seed = (seed * 1103515245 + 12345) % 2147483648
  return seed % k
end
local words = { "account", "invoice", "customer", "order", "payment", "shipment", "product",
  "category", "audit", "session", "tenant", "event", "ledger", "address", "price", "stock" }
local types = { "bigint", "integer", "text", "varchar(255)", "timestamptz", "boolean",
  "numeric(12,2)", "jsonb", "uuid", "date" }
local function word() return words[rand(#words) + 1] end
local function migration(i)
  local out, t = {}, word() .. "_" .. i
  out[#out + 1] = ("-- Migration %d: create %q and friends\n"):format(i, t)
  out[#out + 1] = ("CREATE TABLE %s (\n  id bigserial PRIMARY KEY"):format(t)
  for c = 1, 4 + rand(12) do
    out[#out + 1] = (",\n  %s_%d %s%s"):format(word(), c, types[rand(#types) + 1],
      rand(3) == 0 and " NOT NULL" or "")
  end
  out[#out + 1] = ",\n  created_at timestamptz NOT NULL DEFAULT now()\n);\n"
  for c = 1, 1 + rand(4) do
    out[#out + 1] = ("CREATE INDEX %s_%s_%d_idx ON %s (%s_%d);\n"):format(t, word(), c, t, word(), c)
  end
  out[#out + 1] = ("COMMENT ON TABLE %s IS 'Holds the %s records of the %s module.';\n")
    :format(t, word(), word())
  for r = 1, rand(110) do
    out[#out + 1] = ("INSERT INTO %s (id, created_at) VALUES (%d, '2024-%02d-%02d 12:00:00+00');\n")
      :format(t, r, 1 + rand(12), 1 + rand(28))
  end
  if rand(5) == 0 then
    out[#out + 1] = ("ALTER TABLE %s ADD CONSTRAINT %s_fk FOREIGN KEY (id) REFERENCES %s_%d (id);\n")
      :format(t, t, word(), math.max(1, i - 1))
  end
  return table.concat(out)
end
for i = 1, n do
  local name = ("%s/%014d_%s_%d.sql"):format(dir, 20240101000000 + i * 7, word(), i)
  local f = assert(io.open(name, "wb"))
  f:write(migration(i))
  f:close()
end
LUA
  "$dbhost" lua "$tmp/generate.lua" "$data" "$files"
  touch "$data/.complete"
fi

cd "$data"
names=(*.sql)
bytes=$(stat -c %s "${names[@]}" | awk '{ s += $1 } END { print s }')

cat >"$tmp/atlas_sum.lua" <<'LUA'
local hash = require "dbhost.hash"
local text, entries = assert(hash.atlas_sum((...)))
io.write(#entries, " ", #text, "\n")
LUA

# Best wall-clock time of $runs runs of "$@" (stdout discarded), in seconds.
best_of() {
  local best="" t0 t1 t
  for ((i = 0; i < runs; i++)); do
    t0=$EPOCHREALTIME
    "$@" >/dev/null
    t1=$EPOCHREALTIME
    t=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.6f", b - a }')
    if [[ -z $best ]] || awk -v t="$t" -v b="$best" 'BEGIN { exit !(t < b) }'; then best=$t; fi
  done
  echo "$best"
}

floor() { cat "${names[@]}" | sha256sum; }
ours() { "$dbhost" lua "$tmp/atlas_sum.lua" "$data"; }

# Warm the page cache and check the result once.
cat "${names[@]}" >/dev/null
count=$(ours | awk '{ print $1 }')
if [[ $count != "${#names[@]}" ]]; then
  echo "bench/hash.sh: atlas_sum saw $count files, want ${#names[@]}" >&2
  exit 2
fi

t_ours=$(best_of ours)
t_floor=$(best_of floor)
awk -v n="${#names[@]}" -v bytes="$bytes" -v a="$t_ours" -v f="$t_floor" -v goal="$goal" 'BEGIN {
  ratio = a / f
  printf "atlas_sum %d files %.1f MB: %.3f s; floor (cat | sha256sum): %.3f s; ratio %.2fx (goal <= %.1fx)\n",
    n, bytes / 1e6, a, f, ratio, goal
  exit !(ratio <= goal || ENVIRON["BENCH_SMOKE"] == "1")
}'
