-- A table starts inheriting from another (its own columns match the parent's, plus one).
-- pg_dump: differs because a column that existed before ALTER TABLE ... INHERIT stays locally defined (attislocal), so pg_dump lists it in the child's CREATE TABLE, while CREATE TABLE ... INHERITS without the column does not
CREATE TABLE vehicles (id integer NOT NULL, wheels integer);
CREATE TABLE cars (id integer NOT NULL, wheels integer, doors integer);
-- ==== after ====
CREATE TABLE vehicles (id integer NOT NULL, wheels integer);
CREATE TABLE cars (doors integer) INHERITS (vehicles);
