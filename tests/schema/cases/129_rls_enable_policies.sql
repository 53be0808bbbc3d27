-- Row-level security is enabled (and forced) with permissive and restrictive policies.
CREATE TABLE docs (id integer PRIMARY KEY, owner text NOT NULL DEFAULT current_user, published boolean);
-- ==== after ====
CREATE TABLE docs (id integer PRIMARY KEY, owner text NOT NULL DEFAULT current_user, published boolean);
ALTER TABLE docs ENABLE ROW LEVEL SECURITY;
ALTER TABLE docs FORCE ROW LEVEL SECURITY;
CREATE POLICY docs_owner ON docs USING (owner = current_user) WITH CHECK (owner = current_user);
CREATE POLICY docs_read_published ON docs FOR SELECT USING (published);
CREATE POLICY docs_no_drafts_delete ON docs AS RESTRICTIVE FOR DELETE USING (published IS NOT TRUE);
