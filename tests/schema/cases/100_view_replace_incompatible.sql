-- A view loses a column and renames another (CREATE OR REPLACE cannot: drop and create).
CREATE TABLE t (a integer, b text, c boolean);
CREATE VIEW v AS SELECT a, b, c FROM t;
COMMENT ON VIEW v IS 'keep me';
-- ==== after ====
CREATE TABLE t (a integer, b text, c boolean);
CREATE VIEW v AS SELECT a AS id, c FROM t;
COMMENT ON VIEW v IS 'keep me';
