-- A composite type is created and used by a column and a function.
CREATE TABLE places (id integer PRIMARY KEY);
-- ==== after ====
CREATE TYPE geo AS (lat double precision, lon double precision);
CREATE TABLE places (id integer PRIMARY KEY, position geo);
CREATE FUNCTION geo_of(p places) RETURNS geo LANGUAGE sql IMMUTABLE AS $$ SELECT p.position $$;
