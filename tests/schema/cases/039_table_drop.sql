-- A table (with indexes, constraints and a comment) is dropped; another stays.
-- expect: destructive
CREATE TABLE gone (id integer PRIMARY KEY, name text UNIQUE, n integer CHECK (n > 0));
CREATE INDEX gone_n ON gone (n);
COMMENT ON TABLE gone IS 'bye';
CREATE TABLE kept (id integer);
-- ==== after ====
CREATE TABLE kept (id integer);
