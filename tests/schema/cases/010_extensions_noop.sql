-- No-op: several contrib extensions and objects that use them.
CREATE EXTENSION pgcrypto;
CREATE EXTENSION citext;
CREATE EXTENSION hstore;
CREATE EXTENSION pg_trgm;
CREATE EXTENSION btree_gist;
CREATE TABLE things (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  name citext NOT NULL,
  attrs hstore,
  secret bytea DEFAULT digest('x', 'sha256')
);
CREATE INDEX things_name_trgm ON things USING gist (name gist_trgm_ops);
-- ==== after ====
CREATE EXTENSION pgcrypto;
CREATE EXTENSION citext;
CREATE EXTENSION hstore;
CREATE EXTENSION pg_trgm;
CREATE EXTENSION btree_gist;
CREATE TABLE things (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  name citext NOT NULL,
  attrs hstore,
  secret bytea DEFAULT digest('x', 'sha256')
);
CREATE INDEX things_name_trgm ON things USING gist (name gist_trgm_ops);
