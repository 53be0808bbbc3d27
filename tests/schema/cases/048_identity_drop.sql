-- An identity column becomes a plain column (the column and its data stay).
CREATE TABLE jobs (id integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY, name text);
-- ==== after ====
CREATE TABLE jobs (id integer PRIMARY KEY, name text);
