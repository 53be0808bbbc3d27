-- A table with no columns gains one; table storage parameters change.
CREATE TABLE empty_one ();
CREATE TABLE tuned (id integer) WITH (fillfactor = 70);
-- ==== after ====
CREATE TABLE empty_one (id integer);
CREATE TABLE tuned (id integer) WITH (fillfactor = 90, autovacuum_enabled = false);
