-- citext is installed and an existing text column changes to it (the type comes from the extension).
CREATE TABLE members (id integer PRIMARY KEY, email text NOT NULL);
CREATE UNIQUE INDEX members_email ON members (email);
-- ==== after ====
CREATE EXTENSION citext;
CREATE TABLE members (id integer PRIMARY KEY, email citext NOT NULL);
CREATE UNIQUE INDEX members_email ON members (email);
