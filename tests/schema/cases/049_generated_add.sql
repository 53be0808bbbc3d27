-- Stored generated columns are added.
CREATE TABLE boxes (id integer PRIMARY KEY, w numeric NOT NULL, h numeric NOT NULL, label text);
-- ==== after ====
CREATE TABLE boxes (
  id integer PRIMARY KEY,
  w numeric NOT NULL,
  h numeric NOT NULL,
  label text,
  area numeric GENERATED ALWAYS AS (w * h) STORED,
  search tsvector GENERATED ALWAYS AS (to_tsvector('simple', coalesce(label, ''))) STORED
);
