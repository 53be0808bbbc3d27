-- A primary key is added (single column) and a named composite one on another table.
CREATE TABLE a (id integer NOT NULL, name text);
CREATE TABLE b (x integer NOT NULL, y integer NOT NULL);
-- ==== after ====
CREATE TABLE a (id integer PRIMARY KEY, name text);
CREATE TABLE b (x integer NOT NULL, y integer NOT NULL, CONSTRAINT b_xy_pk PRIMARY KEY (x, y));
