-- The only column using hstore is dropped, then the extension itself.
-- expect: destructive
CREATE EXTENSION hstore;
CREATE TABLE settings (id integer PRIMARY KEY, attrs hstore, name text);
-- ==== after ====
CREATE TABLE settings (id integer PRIMARY KEY, name text);
