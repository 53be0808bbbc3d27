-- Table and column privileges for roles: granted, widened, and revoked (roles made by the runner).
-- roles: role_reader role_writer role_ops
CREATE TABLE accounts (id integer PRIMARY KEY, name text, secret text);
GRANT SELECT ON accounts TO role_reader;
GRANT SELECT, INSERT ON accounts TO role_writer;
GRANT DELETE ON accounts TO role_ops;
-- ==== after ====
CREATE TABLE accounts (id integer PRIMARY KEY, name text, secret text);
GRANT SELECT (id, name) ON accounts TO role_reader;
GRANT SELECT, INSERT, UPDATE ON accounts TO role_writer WITH GRANT OPTION;
GRANT UPDATE (secret) ON accounts TO role_ops;
