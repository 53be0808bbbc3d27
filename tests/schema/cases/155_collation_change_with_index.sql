-- A column with a unique index and a check changes collation to "C".
CREATE TABLE keys (id integer PRIMARY KEY, k text NOT NULL CHECK (k <> ''));
CREATE UNIQUE INDEX keys_k ON keys (k);
-- ==== after ====
CREATE TABLE keys (id integer PRIMARY KEY, k text COLLATE "C" NOT NULL CHECK (k <> ''));
CREATE UNIQUE INDEX keys_k ON keys (k);
