-- New objects arrive together with their grants; an old object's grants go with it.
-- expect: destructive
-- roles: role_api
CREATE TABLE legacy (id integer);
GRANT ALL ON legacy TO role_api;
-- ==== after ====
CREATE SCHEMA api;
GRANT USAGE ON SCHEMA api TO role_api;
CREATE TABLE api.items (id integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY, name text);
GRANT SELECT, INSERT ON api.items TO role_api;
CREATE MATERIALIZED VIEW api.item_names AS SELECT name FROM api.items;
GRANT SELECT ON api.item_names TO role_api;
CREATE FUNCTION api.item_count() RETURNS bigint LANGUAGE sql STABLE AS $$ SELECT count(*) FROM api.items $$;
