-- Domains with checks, a default and NOT NULL are created and used by columns.
CREATE TABLE contacts (id integer PRIMARY KEY);
-- ==== after ====
CREATE DOMAIN email AS text CHECK (VALUE ~ '^[^@]+@[^@]+$');
CREATE DOMAIN positive_int AS integer NOT NULL DEFAULT 1 CONSTRAINT positive_int_check CHECK (VALUE > 0);
CREATE TABLE contacts (id integer PRIMARY KEY, mail email, visits positive_int);
