-- View options: security_barrier, security_invoker (PostgreSQL 15) and WITH CHECK OPTION.
CREATE TABLE docs (id integer PRIMARY KEY, owner text, public boolean);
CREATE VIEW public_docs AS SELECT id, owner, public FROM docs WHERE public;
CREATE VIEW my_docs WITH (security_barrier) AS SELECT id FROM docs WHERE owner = current_user;
-- ==== after ====
CREATE TABLE docs (id integer PRIMARY KEY, owner text, public boolean);
CREATE VIEW public_docs WITH (security_invoker = true) AS SELECT id, owner, public FROM docs WHERE public WITH CASCADED CHECK OPTION;
CREATE VIEW my_docs AS SELECT id FROM docs WHERE owner = current_user;
