-- Row-level security is disabled (no longer forced) and the policies are dropped.
CREATE TABLE t (id integer PRIMARY KEY, owner text);
ALTER TABLE t ENABLE ROW LEVEL SECURITY;
ALTER TABLE t FORCE ROW LEVEL SECURITY;
CREATE POLICY t_owner ON t USING (owner = current_user);
-- ==== after ====
CREATE TABLE t (id integer PRIMARY KEY, owner text);
