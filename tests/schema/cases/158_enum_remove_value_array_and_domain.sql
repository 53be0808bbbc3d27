-- A value is removed from an enum that is used by an array column and by a domain (with a
-- default): the rebuild has to convert the array column and the domain too.
CREATE TYPE colour AS ENUM ('red', 'green', 'blue', 'mauve');
CREATE DOMAIN primary_colour AS colour DEFAULT 'red' CHECK (VALUE <> 'green');
CREATE TABLE palettes (id integer PRIMARY KEY, colours colour[] NOT NULL DEFAULT '{red}', main primary_colour);
-- ==== after ====
CREATE TYPE colour AS ENUM ('red', 'green', 'blue');
CREATE DOMAIN primary_colour AS colour DEFAULT 'red' CHECK (VALUE <> 'green');
CREATE TABLE palettes (id integer PRIMARY KEY, colours colour[] NOT NULL DEFAULT '{red}', main primary_colour);
