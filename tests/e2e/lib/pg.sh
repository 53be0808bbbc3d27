# pg.sh: databases for end-to-end tests on the ctest PostgreSQL fixture (sourced).
: "${DBHOST_TEST_DATABASE_URL:?the pg fixture must be running (run through ctest)}"
PSQL=${PSQL:-psql}
export PGOPTIONS="-c client_min_messages=warning"

# newdb NAME: create a fresh database and print its URL
newdb() {
  local name="$1_$$"
  $PSQL "$DBHOST_TEST_DATABASE_URL" -qAtX -c "DROP DATABASE IF EXISTS \"$name\" WITH (FORCE)" -c "CREATE DATABASE \"$name\"" >/dev/null
  CREATED_DBS+=("$name")
  echo "${DBHOST_TEST_DATABASE_URL/\/postgres\?//$name?}"
}

# sql URL QUERY: run a query, print unaligned tuples
sql() { $PSQL "$1" -qAtX -v ON_ERROR_STOP=1 -c "$2"; }

CREATED_DBS=()
drop_created_dbs() {
  local d
  for d in "${CREATED_DBS[@]}"; do
    $PSQL "$DBHOST_TEST_DATABASE_URL" -qAtX -c "DROP DATABASE IF EXISTS \"$d\" WITH (FORCE)" >/dev/null 2>&1 || true
  done
}
