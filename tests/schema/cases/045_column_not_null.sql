-- NOT NULL is switched on for some columns and off for others.
CREATE TABLE accounts (id integer NOT NULL, name text, email text NOT NULL, note text);
-- ==== after ====
CREATE TABLE accounts (id integer NOT NULL, name text NOT NULL, email text, note text NOT NULL);
