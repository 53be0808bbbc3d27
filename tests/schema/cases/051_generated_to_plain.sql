-- A generated column becomes a plain column (ALTER COLUMN ... DROP EXPRESSION keeps the values).
CREATE TABLE people (id integer PRIMARY KEY, first text, last text,
  full_name text GENERATED ALWAYS AS (first || ' ' || last) STORED);
-- ==== after ====
CREATE TABLE people (id integer PRIMARY KEY, first text, last text, full_name text);
