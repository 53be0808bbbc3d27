-- pg_trgm installed into its own schema, used through a schema-qualified operator class.
CREATE TABLE docs (id integer PRIMARY KEY, title text);
-- ==== after ====
CREATE SCHEMA ext;
CREATE EXTENSION pg_trgm WITH SCHEMA ext;
CREATE TABLE docs (id integer PRIMARY KEY, title text);
CREATE INDEX docs_title_trgm ON docs USING gin (title ext.gin_trgm_ops);
