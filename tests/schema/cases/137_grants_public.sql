-- Privileges granted to PUBLIC (no roles needed), and the public schema's CREATE granted back.
CREATE TABLE notices (id integer PRIMARY KEY, text text);
-- ==== after ====
CREATE TABLE notices (id integer PRIMARY KEY, text text);
GRANT SELECT ON notices TO PUBLIC;
GRANT CREATE ON SCHEMA public TO PUBLIC;
