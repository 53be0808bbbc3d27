-- A domain's base type changes (ALTER DOMAIN cannot): the column using it has to be moved off
-- the domain, the domain rebuilt, and the column moved back.
CREATE DOMAIN short_code AS varchar(10) CHECK (VALUE <> '');
CREATE TABLE codes (id integer PRIMARY KEY, code short_code NOT NULL);
-- ==== after ====
CREATE DOMAIN short_code AS varchar(20) CHECK (VALUE <> '');
CREATE TABLE codes (id integer PRIMARY KEY, code short_code NOT NULL);
