-- Function signatures change: an argument type, the return type, and an argument name
-- (none of which CREATE OR REPLACE can do).
CREATE FUNCTION greet(who text) RETURNS text LANGUAGE sql AS $$ SELECT 'hi ' || who $$;
CREATE FUNCTION half(x integer) RETURNS integer LANGUAGE sql AS $$ SELECT x / 2 $$;
CREATE FUNCTION twice(a integer) RETURNS integer LANGUAGE sql AS $$ SELECT a * 2 $$;
-- ==== after ====
CREATE FUNCTION greet(who varchar) RETURNS text LANGUAGE sql AS $$ SELECT 'hi ' || who $$;
CREATE FUNCTION half(x integer) RETURNS numeric LANGUAGE sql AS $$ SELECT x / 2.0 $$;
CREATE FUNCTION twice(n integer) RETURNS integer LANGUAGE sql AS $$ SELECT n * 2 $$;
