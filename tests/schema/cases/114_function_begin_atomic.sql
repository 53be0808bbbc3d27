-- SQL-standard function bodies (BEGIN ATOMIC, RETURN): created and changed.
CREATE TABLE t (a integer, b text);
CREATE FUNCTION count_a(x integer) RETURNS bigint LANGUAGE sql
BEGIN ATOMIC
  SELECT count(*) FROM t WHERE a = x;
END;
-- ==== after ====
CREATE TABLE t (a integer, b text);
CREATE FUNCTION count_a(x integer) RETURNS bigint LANGUAGE sql
BEGIN ATOMIC
  SELECT count(*) FROM t WHERE a >= x;
END;
CREATE FUNCTION plus_one(x integer) RETURNS integer LANGUAGE sql IMMUTABLE RETURN x + 1;
CREATE FUNCTION add_row(x integer) RETURNS void LANGUAGE sql
BEGIN ATOMIC
  INSERT INTO t (a) VALUES (x);
  INSERT INTO t (a, b) VALUES (x + 1, 'next');
END;
