-- Privileges on a schema, a sequence, a function (EXECUTE revoked from PUBLIC), a type and a view.
-- roles: role_app
CREATE SCHEMA app;
CREATE SEQUENCE app.ids;
CREATE FUNCTION app.secret() RETURNS text LANGUAGE sql AS $$ SELECT 'x' $$;
CREATE TYPE app.kind AS ENUM ('a', 'b');
CREATE TABLE app.t (id integer);
CREATE VIEW app.v AS SELECT id FROM app.t;
-- ==== after ====
CREATE SCHEMA app;
CREATE SEQUENCE app.ids;
CREATE FUNCTION app.secret() RETURNS text LANGUAGE sql AS $$ SELECT 'x' $$;
CREATE TYPE app.kind AS ENUM ('a', 'b');
CREATE TABLE app.t (id integer);
CREATE VIEW app.v AS SELECT id FROM app.t;
GRANT USAGE ON SCHEMA app TO role_app;
GRANT USAGE, SELECT ON SEQUENCE app.ids TO role_app;
REVOKE EXECUTE ON FUNCTION app.secret() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION app.secret() TO role_app;
REVOKE USAGE ON TYPE app.kind FROM PUBLIC;
GRANT SELECT ON app.v TO role_app;
