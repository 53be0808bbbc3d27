-- A table disappears and one with the same columns appears under another name: the plan
-- drops and creates, and should hint that this may be a rename.
-- expect: destructive
-- expect: rename-hint
CREATE TABLE clients (id integer PRIMARY KEY, name text NOT NULL, since date);
-- ==== after ====
CREATE TABLE customers (id integer PRIMARY KEY, name text NOT NULL, since date);
