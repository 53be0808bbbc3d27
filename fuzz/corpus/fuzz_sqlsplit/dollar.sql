CREATE FUNCTION f(a int) RETURNS int AS $fn$
BEGIN
  RETURN a + $1; -- $$ inside
END;
$fn$ LANGUAGE plpgsql;
DO $$ BEGIN PERFORM 1; END $$;
SELECT E'it\'s', U&"d;a", /* a /* b */ c */ 1;