-- A table column under a chain of two views changes type; the views themselves do not change.
CREATE TABLE t (id integer PRIMARY KEY, code smallint);
CREATE VIEW v1 AS SELECT id, code FROM t;
CREATE VIEW v2 AS SELECT code, count(*) AS n FROM v1 GROUP BY code;
-- ==== after ====
CREATE TABLE t (id integer PRIMARY KEY, code integer);
CREATE VIEW v1 AS SELECT id, code FROM t;
CREATE VIEW v2 AS SELECT code, count(*) AS n FROM v1 GROUP BY code;
