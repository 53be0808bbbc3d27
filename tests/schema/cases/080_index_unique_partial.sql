-- A unique partial index and a partial non-unique index.
CREATE TABLE users (id integer PRIMARY KEY, email text, deleted_at timestamptz, active boolean);
-- ==== after ====
CREATE TABLE users (id integer PRIMARY KEY, email text, deleted_at timestamptz, active boolean);
CREATE UNIQUE INDEX users_email_live ON users (lower(email)) WHERE deleted_at IS NULL;
CREATE INDEX users_active ON users (id) WHERE active AND deleted_at IS NULL;
