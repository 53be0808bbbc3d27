-- A value is appended to an enum used by a column.
CREATE TYPE mood AS ENUM ('sad', 'ok');
CREATE TABLE people (id integer PRIMARY KEY, current mood);
-- ==== after ====
CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy');
CREATE TABLE people (id integer PRIMARY KEY, current mood);
