#!/usr/bin/env bash
# dbhost migrate hash / migrate validate as a user runs them, against Atlas's own atlas.sum files.
. "$(dirname "$0")/lib/assert.sh"
scratch

# Every vector directory reproduces Atlas's atlas.sum byte for byte, and validates.
n=0
while IFS= read -r sum; do
  d=$(dirname "$sum")
  rel=${d#"$DBHOST_VECTORS/atlas-sum/"}
  work="$SCRATCH/vec/$rel"
  mkdir -p "$work"
  find "$d" -maxdepth 1 -type f -exec cp {} "$work/" \;
  run "$DBHOST" migrate validate --dir "$work"
  expect_rc 0 "validate $rel"
  rm "$work/atlas.sum"
  run "$DBHOST" migrate hash --dir "$work"
  expect_rc 0 "hash $rel"
  cmp -s "$sum" "$work/atlas.sum" || fail "atlas.sum of $rel differs from Atlas's: $(diff "$sum" "$work/atlas.sum")"
  n=$((n + 1))
done < <(find "$DBHOST_VECTORS/atlas-sum" -name atlas.sum | sort)
[ "$n" -ge 7 ] || fail "only $n vector directories found"

# A project: atlas.hcl names the directory, cloud-formation.yaml holds MigrationHash.
p="$SCRATCH/project"
mkdir -p "$p/db/migrations"
cp "$DBHOST_VECTORS/atlas-sum/timestamped/"*.sql "$p/db/migrations/"
cat > "$p/atlas.hcl" <<'HCL'
env "local" {
  migration {
    dir = "file://db/migrations"
  }
}
HCL
cat > "$p/cloud-formation.yaml" <<'YAML'
# keep this comment
Resources:
  DBSchemaMigration:
    Type: Custom::DBSchemaMigration
    Properties:
      ServiceToken: !GetAtt Migrator.Arn   # tag kept
      MigrationHash: 'old'
  Other: { Type: "AWS::S3::Bucket" }
YAML
cd "$p"
run "$DBHOST" migrate validate
expect_rc 2 "a missing atlas.sum is a configuration error"; expect_err "dbhost: db/migrations/atlas.sum not found"
expect_out "You have a checksum error in your migration directory."

run "$DBHOST" migrate hash
expect_rc 0; expect_out "wrote db/migrations/atlas.sum"; expect_out "set MigrationHash in cloud-formation.yaml"
cmp -s db/migrations/atlas.sum "$DBHOST_VECTORS/atlas-sum/timestamped/atlas.sum" || fail "project atlas.sum differs"
total=$(head -n 1 db/migrations/atlas.sum)
grep -qF "MigrationHash: '$total'" cloud-formation.yaml || fail "MigrationHash not set: $(cat cloud-formation.yaml)"
# only that scalar changed
diff <(sed "s|$total|old|" cloud-formation.yaml) - <<'YAML' || fail "template bytes outside MigrationHash changed"
# keep this comment
Resources:
  DBSchemaMigration:
    Type: Custom::DBSchemaMigration
    Properties:
      ServiceToken: !GetAtt Migrator.Arn   # tag kept
      MigrationHash: 'old'
  Other: { Type: "AWS::S3::Bucket" }
YAML

run "$DBHOST" migrate hash
expect_rc 0; expect_out "is up to date"

run "$DBHOST" migrate validate
expect_rc 0

# edited: the edited file's line in atlas.sum is named
echo "-- edit" >> db/migrations/20230727105615_t2.sql
run "$DBHOST" migrate validate
expect_rc 1
expect_out "$(printf '\tL3: 20230727105615_t2.sql was edited')"
expect_out "run 'dbhost migrate hash' to re-hash the contents"
expect_err "dbhost: checksum mismatch"
run "$DBHOST" migrate hash
expect_rc 0
run "$DBHOST" migrate validate
expect_rc 0

# added at the end: L(total+2)
echo "CREATE TABLE z (id int);" > db/migrations/20240101000000_z.sql
run "$DBHOST" migrate validate
expect_rc 1; expect_out "$(printf '\tL5: 20240101000000_z.sql was added')"
# added in the middle
rm db/migrations/20240101000000_z.sql
echo "CREATE TABLE m (id int);" > db/migrations/20230800000000_m.sql
run "$DBHOST" migrate validate
expect_rc 1; expect_out "$(printf '\tL4: 20230800000000_m.sql was added')"
rm db/migrations/20230800000000_m.sql
# removed
mv db/migrations/20230727105615_t2.sql "$SCRATCH/"
run "$DBHOST" migrate validate
expect_rc 1; expect_out "$(printf '\tL3: 20230727105615_t2.sql was removed')"
mv "$SCRATCH/20230727105615_t2.sql" db/migrations/

# atlas:sum ignore: no line, name still hashed
printf -- '-- atlas:sum ignore\nSELECT 1;\n' > db/migrations/20230800000000_ignored.sql
run "$DBHOST" migrate hash
expect_rc 0
grep -q ignored db/migrations/atlas.sum && fail "ignored file listed in atlas.sum"
run "$DBHOST" migrate validate
expect_rc 0
rm db/migrations/20230800000000_ignored.sql
run "$DBHOST" migrate hash
expect_rc 0

# Bad input changes nothing: a malformed atlas.sum, a broken template
cp db/migrations/atlas.sum "$SCRATCH/sum.bak"
printf 'h1:abc\nthis line has no hash\n' > db/migrations/atlas.sum
run "$DBHOST" migrate validate
expect_rc 2 "a malformed atlas.sum is a configuration error"; expect_err "db/migrations/atlas.sum:2:"
cp "$SCRATCH/sum.bak" db/migrations/atlas.sum

cp cloud-formation.yaml "$SCRATCH/cf.bak"
echo "  - broken: [unclosed" >> cloud-formation.yaml
cp cloud-formation.yaml "$SCRATCH/cf.broken"
echo "-- change" >> db/migrations/20230727105553_init.sql
cp db/migrations/atlas.sum "$SCRATCH/sum.before"
run "$DBHOST" migrate hash
expect_rc 2; expect_err "cloud-formation.yaml:"
cmp -s cloud-formation.yaml "$SCRATCH/cf.broken" || fail "broken template was modified"
cmp -s db/migrations/atlas.sum "$SCRATCH/sum.before" || fail "atlas.sum was written although the template is broken"
cp "$SCRATCH/cf.bak" cloud-formation.yaml

# A template without the resource: a warning naming it, atlas.sum is still written
cat > "$SCRATCH/no-resource.yaml" <<'YAML'
Resources:
  Bucket: { Type: "AWS::S3::Bucket" }
YAML
run "$DBHOST" migrate hash --template "$SCRATCH/no-resource.yaml"
expect_rc 0; expect_err "warning: $SCRATCH/no-resource.yaml has no DBSchemaMigration resource"
# the resource without MigrationHash: still an error naming the missing key
printf 'Resources:\n  DBSchemaMigration:\n    Properties: {Other: x}\n' > "$SCRATCH/no-key.yaml"
run "$DBHOST" migrate hash --template "$SCRATCH/no-key.yaml"
expect_rc 2; expect_err 'no key "MigrationHash"'

# --dir elsewhere leaves the project's template alone (unless --template names it)
cp cloud-formation.yaml "$SCRATCH/cf.before"
mkdir -p "$SCRATCH/other"
printf 'CREATE TABLE o (id int);\n' > "$SCRATCH/other/1_o.sql"
run "$DBHOST" migrate hash --dir "$SCRATCH/other"
expect_rc 0
cmp -s cloud-formation.yaml "$SCRATCH/cf.before" || fail "migrate hash --dir elsewhere changed the project's template"
[[ "$out" != *MigrationHash* ]] || fail "mentions MigrationHash: $out"

# Missing directory and unknown env
run "$DBHOST" migrate hash --dir nowhere
expect_rc 2; expect_err "migration directory nowhere does not exist"
run "$DBHOST" migrate hash --env nope
expect_rc 2; expect_err "nope"

# No leftover temp files anywhere
leftovers=$(find "$p" -name '*.tmp-*')
[ -z "$leftovers" ] || fail "temp files left behind: $leftovers"

summary
