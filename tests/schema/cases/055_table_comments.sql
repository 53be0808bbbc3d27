-- Comments on tables and columns: added, changed, removed.
CREATE TABLE t (a integer, b integer, c integer);
COMMENT ON TABLE t IS 'old';
COMMENT ON COLUMN t.b IS 'b old';
COMMENT ON COLUMN t.c IS 'c goes';
-- ==== after ====
CREATE TABLE t (a integer, b integer, c integer);
COMMENT ON TABLE t IS 'new: it''s quoted';
COMMENT ON COLUMN t.a IS 'a new';
COMMENT ON COLUMN t.b IS 'b new';
