-- Plain indexes: created, dropped, and one in a non-public schema.
CREATE SCHEMA s;
CREATE TABLE s.t (a integer, b text, c date);
CREATE INDEX t_a ON s.t (a);
CREATE INDEX t_b ON s.t (b);
-- ==== after ====
CREATE SCHEMA s;
CREATE TABLE s.t (a integer, b text, c date);
CREATE INDEX t_a ON s.t (a);
CREATE INDEX t_c_a ON s.t (c, a);
