-- Unique constraints: added, dropped and changed (columns), including one that is DEFERRABLE.
CREATE TABLE users (id integer PRIMARY KEY, email text, login text, a integer, b integer,
  CONSTRAINT users_login_key UNIQUE (login),
  CONSTRAINT users_ab_key UNIQUE (a));
-- ==== after ====
CREATE TABLE users (id integer PRIMARY KEY, email text, login text, a integer, b integer,
  CONSTRAINT users_email_key UNIQUE (email) DEFERRABLE INITIALLY DEFERRED,
  CONSTRAINT users_ab_key UNIQUE (a, b));
