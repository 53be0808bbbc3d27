-- A column disappears and one of the same type appears in the same table: a possible rename.
-- expect: destructive
-- expect: rename-hint
CREATE TABLE users (id integer PRIMARY KEY, mail text NOT NULL, age integer);
-- ==== after ====
CREATE TABLE users (id integer PRIMARY KEY, email text NOT NULL, age integer);
