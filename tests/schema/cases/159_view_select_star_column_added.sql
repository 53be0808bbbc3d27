-- A table gains a column and the view over it, written with SELECT *, now shows it too (a view
-- stores the expanded column list, so it has to be replaced to pick the column up).
CREATE TABLE t (a integer, b text);
CREATE VIEW v AS SELECT * FROM t;
-- ==== after ====
CREATE TABLE t (a integer, b text, c date);
CREATE VIEW v AS SELECT * FROM t;
