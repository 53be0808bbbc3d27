-- A column with a default, a check and an index changes type; the default changes with it.
CREATE TABLE metrics (id integer PRIMARY KEY, val integer NOT NULL DEFAULT 0 CHECK (val >= 0));
CREATE INDEX metrics_val ON metrics (val);
-- ==== after ====
CREATE TABLE metrics (id integer PRIMARY KEY, val numeric(12, 3) NOT NULL DEFAULT 0.0 CHECK (val >= 0));
CREATE INDEX metrics_val ON metrics (val);
