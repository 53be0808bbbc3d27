-- A table referenced by a foreign key from a kept table and read by a view is dropped with both.
-- expect: destructive
CREATE TABLE countries (code char(2) PRIMARY KEY, name text);
CREATE TABLE cities (id integer PRIMARY KEY, country char(2) REFERENCES countries (code), name text);
CREATE VIEW city_names AS SELECT ci.name, co.name AS country FROM cities ci JOIN countries co ON co.code = ci.country;
-- ==== after ====
CREATE TABLE cities (id integer PRIMARY KEY, country char(2), name text);
