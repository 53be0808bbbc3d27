-- A view is dropped so that the column it used can be dropped too.
-- expect: destructive
CREATE TABLE t (id integer PRIMARY KEY, legacy text);
CREATE VIEW t_legacy AS SELECT id, legacy FROM t;
-- ==== after ====
CREATE TABLE t (id integer PRIMARY KEY);
