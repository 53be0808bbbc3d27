-- Index comments, and an index replaced by an identical one under another name.
CREATE TABLE t (a integer, b integer);
CREATE INDEX t_a_old ON t (a);
CREATE INDEX t_b ON t (b);
COMMENT ON INDEX t_b IS 'old comment';
-- ==== after ====
CREATE TABLE t (a integer, b integer);
CREATE INDEX t_a_new ON t (a);
CREATE INDEX t_b ON t (b);
COMMENT ON INDEX t_b IS 'new comment';
COMMENT ON INDEX t_a_new IS 'renamed';
