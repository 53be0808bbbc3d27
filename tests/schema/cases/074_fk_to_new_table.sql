-- The referenced table is dropped and the foreign key now points to a new table.
-- expect: destructive
CREATE TABLE old_users (id integer PRIMARY KEY);
CREATE TABLE posts (id integer PRIMARY KEY, author integer CONSTRAINT posts_author_fk REFERENCES old_users (id));
-- ==== after ====
CREATE TABLE accounts (id integer PRIMARY KEY, handle text UNIQUE);
CREATE TABLE posts (id integer PRIMARY KEY, author integer CONSTRAINT posts_author_fk REFERENCES accounts (id));
