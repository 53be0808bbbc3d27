-- An enum array column is added to a table; another enum moves between schemas' tables.
CREATE SCHEMA perms;
CREATE TYPE perms.right AS ENUM ('read', 'write', 'admin');
CREATE TABLE perms.grants (id integer PRIMARY KEY);
-- ==== after ====
CREATE SCHEMA perms;
CREATE TYPE perms.right AS ENUM ('read', 'write', 'admin');
CREATE TABLE perms.grants (id integer PRIMARY KEY, rights perms.right[] NOT NULL DEFAULT '{read}');
