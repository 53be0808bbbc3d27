-- Default privileges (ALTER DEFAULT PRIVILEGES) of the current role, globally and in a
-- schema: added, changed and revoked, for tables, sequences, functions and types. They are
-- set last in a plan, so the plan's own new objects get exactly the grants it gives them.
-- roles: role_reader role_writer
CREATE SCHEMA app;
ALTER DEFAULT PRIVILEGES IN SCHEMA app GRANT SELECT ON TABLES TO role_reader;
ALTER DEFAULT PRIVILEGES GRANT USAGE ON SEQUENCES TO role_writer;
ALTER DEFAULT PRIVILEGES REVOKE EXECUTE ON FUNCTIONS FROM PUBLIC;
-- ==== after ====
CREATE SCHEMA app;
ALTER DEFAULT PRIVILEGES IN SCHEMA app GRANT SELECT, INSERT ON TABLES TO role_reader;
ALTER DEFAULT PRIVILEGES IN SCHEMA app GRANT ALL ON TABLES TO role_writer WITH GRANT OPTION;
ALTER DEFAULT PRIVILEGES REVOKE USAGE ON TYPES FROM PUBLIC;
