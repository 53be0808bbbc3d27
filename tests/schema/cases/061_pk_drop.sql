-- A primary key is dropped (the column stays NOT NULL, as it was declared).
CREATE TABLE log (id integer NOT NULL PRIMARY KEY, line text);
-- ==== after ====
CREATE TABLE log (id integer NOT NULL, line text);
