-- A column used by a stored generated column changes type (PostgreSQL refuses while the
-- generated column depends on it); the generated expression stays the same.
CREATE TABLE rect (id integer PRIMARY KEY, w integer NOT NULL, h integer NOT NULL,
  area bigint GENERATED ALWAYS AS (w * h) STORED);
-- ==== after ====
CREATE TABLE rect (id integer PRIMARY KEY, w bigint NOT NULL, h integer NOT NULL,
  area bigint GENERATED ALWAYS AS (w * h) STORED);
