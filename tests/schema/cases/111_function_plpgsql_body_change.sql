-- A PL/pgSQL function body changes (CREATE OR REPLACE), keeping its signature.
CREATE FUNCTION fib(n integer) RETURNS bigint LANGUAGE plpgsql IMMUTABLE AS $$
BEGIN
  IF n < 2 THEN RETURN n; END IF;
  RETURN fib(n - 1) + fib(n - 2);
END
$$;
-- ==== after ====
CREATE FUNCTION fib(n integer) RETURNS bigint LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
  a bigint := 0;
  b bigint := 1;
BEGIN
  FOR i IN 1..n LOOP
    SELECT b, a + b INTO a, b;
  END LOOP;
  RETURN a;
END
$$;
