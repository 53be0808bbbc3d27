-- A table moves to another schema: seen as a drop and a create.
-- expect: destructive
CREATE SCHEMA archive;
CREATE TABLE old_orders (id integer PRIMARY KEY, placed date);
-- ==== after ====
CREATE SCHEMA archive;
CREATE TABLE archive.old_orders (id integer PRIMARY KEY, placed date);
