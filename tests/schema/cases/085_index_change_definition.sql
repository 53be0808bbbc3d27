-- Indexes keep their names but change: columns, uniqueness, method and fillfactor.
CREATE TABLE t (a integer, b integer, c text);
CREATE INDEX t_i1 ON t (a);
CREATE INDEX t_i2 ON t (b);
CREATE INDEX t_i3 ON t (c);
CREATE INDEX t_i4 ON t (a) WITH (fillfactor = 50);
-- ==== after ====
CREATE TABLE t (a integer, b integer, c text);
CREATE INDEX t_i1 ON t (a, b);
CREATE UNIQUE INDEX t_i2 ON t (b);
CREATE INDEX t_i3 ON t USING hash (c);
CREATE INDEX t_i4 ON t (a) WITH (fillfactor = 80);
