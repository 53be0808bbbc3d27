-- The parent of an inheritance tree gains and loses a column (children follow).
-- expect: destructive
CREATE TABLE animals (id integer NOT NULL, legs integer, old text);
CREATE TABLE dogs (breed text) INHERITS (animals);
-- ==== after ====
CREATE TABLE animals (id integer NOT NULL, legs integer, name text);
CREATE TABLE dogs (breed text) INHERITS (animals);
