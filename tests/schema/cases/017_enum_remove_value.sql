-- A value is removed from an enum used by a column with a default and an index: PostgreSQL
-- cannot drop an enum value, so the type has to be rebuilt and the column converted.
CREATE TYPE level AS ENUM ('debug', 'info', 'warn', 'error');
CREATE TABLE logs (id integer PRIMARY KEY, lvl level NOT NULL DEFAULT 'info');
CREATE INDEX logs_lvl ON logs (lvl);
-- ==== after ====
CREATE TYPE level AS ENUM ('info', 'warn', 'error');
CREATE TABLE logs (id integer PRIMARY KEY, lvl level NOT NULL DEFAULT 'info');
CREATE INDEX logs_lvl ON logs (lvl);
