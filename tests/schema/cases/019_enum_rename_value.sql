-- An enum label changes at the same position (ALTER TYPE ... RENAME VALUE keeps the data).
CREATE TYPE phase AS ENUM ('alpha', 'beta', 'ga');
CREATE TABLE releases (id integer PRIMARY KEY, phase phase);
-- ==== after ====
CREATE TYPE phase AS ENUM ('alpha', 'beta', 'stable');
CREATE TABLE releases (id integer PRIMARY KEY, phase phase);
