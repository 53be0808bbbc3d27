-- A view changes its WHERE clause and gains a column at the end (CREATE OR REPLACE VIEW can do both).
CREATE TABLE t (a integer, b text, c boolean);
CREATE VIEW v AS SELECT a, b FROM t WHERE c;
-- ==== after ====
CREATE TABLE t (a integer, b text, c boolean);
CREATE VIEW v AS SELECT a, b, c FROM t WHERE c IS NOT FALSE;
