-- A domain is dropped together with the column that used it.
-- expect: destructive
CREATE DOMAIN zip AS text CHECK (length(VALUE) = 5);
CREATE TABLE addresses (id integer PRIMARY KEY, zip zip, city text);
-- ==== after ====
CREATE TABLE addresses (id integer PRIMARY KEY, city text);
