-- A BEGIN ATOMIC function depends on a table column whose type changes: PostgreSQL refuses
-- the ALTER while the function exists, so it must be dropped first and recreated after.
CREATE TABLE t (a integer, b text);
CREATE FUNCTION count_a(x integer) RETURNS bigint LANGUAGE sql
BEGIN ATOMIC
  SELECT count(*) FROM t WHERE a = x;
END;
-- ==== after ====
CREATE TABLE t (a bigint, b text);
CREATE FUNCTION count_a(x integer) RETURNS bigint LANGUAGE sql
BEGIN ATOMIC
  SELECT count(*) FROM t WHERE a = x;
END;
