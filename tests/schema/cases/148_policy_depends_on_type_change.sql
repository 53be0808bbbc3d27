-- A column used in a policy expression changes type: PostgreSQL refuses the ALTER while the
-- policy exists, so the policy is dropped first and recreated after.
CREATE TABLE docs (id integer PRIMARY KEY, owner_id integer NOT NULL);
ALTER TABLE docs ENABLE ROW LEVEL SECURITY;
CREATE POLICY docs_owner ON docs USING (owner_id = current_setting('app.uid')::integer);
-- ==== after ====
CREATE TABLE docs (id integer PRIMARY KEY, owner_id bigint NOT NULL);
ALTER TABLE docs ENABLE ROW LEVEL SECURITY;
CREATE POLICY docs_owner ON docs USING (owner_id = current_setting('app.uid')::integer);
