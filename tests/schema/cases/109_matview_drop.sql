-- A materialized view is dropped (its contents can be recomputed, so this is not data loss).
CREATE TABLE t (a integer);
CREATE MATERIALIZED VIEW mv AS SELECT a FROM t;
-- ==== after ====
CREATE TABLE t (a integer);
