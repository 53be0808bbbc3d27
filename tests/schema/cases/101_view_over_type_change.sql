-- A column used by a view changes type: the view must be dropped before the ALTER and recreated.
CREATE TABLE prices (id integer PRIMARY KEY, amount integer, label varchar(10));
CREATE VIEW expensive AS SELECT id, amount, label FROM prices WHERE amount > 100;
-- ==== after ====
CREATE TABLE prices (id integer PRIMARY KEY, amount numeric(10, 2), label varchar(30));
CREATE VIEW expensive AS SELECT id, amount, label FROM prices WHERE amount > 100;
