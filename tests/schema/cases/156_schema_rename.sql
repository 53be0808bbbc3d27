-- A schema is renamed (seen as drop + create of the schema and its contents).
-- expect: destructive
CREATE SCHEMA old_name;
CREATE TABLE old_name.t (id integer PRIMARY KEY);
CREATE FUNCTION old_name.f() RETURNS integer LANGUAGE sql AS $$ SELECT 1 $$;
-- ==== after ====
CREATE SCHEMA new_name;
CREATE TABLE new_name.t (id integer PRIMARY KEY);
CREATE FUNCTION new_name.f() RETURNS integer LANGUAGE sql AS $$ SELECT 1 $$;
