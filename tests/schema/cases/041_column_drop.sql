-- Columns are dropped, one of them used by an index and one by a check constraint.
-- expect: destructive
CREATE TABLE people (id integer PRIMARY KEY, nick text, age integer CHECK (age >= 0), bio text);
CREATE INDEX people_nick ON people (nick);
-- ==== after ====
CREATE TABLE people (id integer PRIMARY KEY, bio text);
