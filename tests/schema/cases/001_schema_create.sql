-- A new schema with a table in it, created from an empty database.
-- ==== after ====
CREATE SCHEMA app;
CREATE TABLE app.accounts (id bigint PRIMARY KEY, name text NOT NULL);
