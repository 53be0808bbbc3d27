-- A column changes from text to a domain over text with a collation "C".
CREATE DOMAIN slug AS text COLLATE "C" CHECK (VALUE ~ '^[a-z0-9-]+$');
CREATE TABLE pages (id integer PRIMARY KEY, path text);
-- ==== after ====
CREATE DOMAIN slug AS text COLLATE "C" CHECK (VALUE ~ '^[a-z0-9-]+$');
CREATE TABLE pages (id integer PRIMARY KEY, path slug);
