-- Functions are dropped, including one in another schema and a variadic one.
CREATE SCHEMA util;
CREATE FUNCTION util.concat_all(VARIADIC parts text[]) RETURNS text LANGUAGE sql AS $$ SELECT array_to_string(parts, '') $$;
CREATE FUNCTION util.keep() RETURNS integer LANGUAGE sql AS $$ SELECT 1 $$;
CREATE FUNCTION gone(a integer, b integer) RETURNS integer LANGUAGE sql AS $$ SELECT a + b $$;
-- ==== after ====
CREATE SCHEMA util;
CREATE FUNCTION util.keep() RETURNS integer LANGUAGE sql AS $$ SELECT 1 $$;
