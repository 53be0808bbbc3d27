-- The primary key moves from one column to two; a foreign key to the old key is dropped first.
CREATE TABLE tenants_users (id integer PRIMARY KEY, tenant integer NOT NULL, name text);
CREATE TABLE sessions (id integer PRIMARY KEY, user_id integer REFERENCES tenants_users (id));
-- ==== after ====
CREATE TABLE tenants_users (id integer NOT NULL, tenant integer NOT NULL, name text, PRIMARY KEY (tenant, id));
CREATE TABLE sessions (id integer PRIMARY KEY, user_id integer);
