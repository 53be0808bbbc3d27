-- Function attributes change: volatility, STRICT, SECURITY DEFINER, SET search_path, COST, ROWS, PARALLEL, LEAKPROOF.
CREATE FUNCTION f1(x integer) RETURNS integer LANGUAGE sql VOLATILE AS $$ SELECT x $$;
CREATE FUNCTION f2(x text) RETURNS text LANGUAGE plpgsql SECURITY DEFINER SET search_path = public AS $$ BEGIN RETURN x; END $$;
CREATE FUNCTION f3() RETURNS SETOF integer LANGUAGE sql AS $$ SELECT 1 $$;
-- ==== after ====
CREATE FUNCTION f1(x integer) RETURNS integer LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE COST 5 AS $$ SELECT x $$;
CREATE FUNCTION f2(x text) RETURNS text LANGUAGE plpgsql SET search_path = pg_catalog, public SET work_mem = '8MB' AS $$ BEGIN RETURN x; END $$;
CREATE FUNCTION f3() RETURNS SETOF integer LANGUAGE sql STABLE ROWS 10 AS $$ SELECT 1 $$;
