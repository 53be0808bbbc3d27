-- Views are created: a simple one, one with a join and aggregate, one in another schema.
CREATE SCHEMA api;
CREATE TABLE users (id integer PRIMARY KEY, name text, active boolean);
CREATE TABLE posts (id integer PRIMARY KEY, author integer REFERENCES users (id), body text);
-- ==== after ====
CREATE SCHEMA api;
CREATE TABLE users (id integer PRIMARY KEY, name text, active boolean);
CREATE TABLE posts (id integer PRIMARY KEY, author integer REFERENCES users (id), body text);
CREATE VIEW active_users AS SELECT id, name FROM users WHERE active;
CREATE VIEW api.post_counts AS
  SELECT u.name, count(p.id) AS posts FROM users u LEFT JOIN posts p ON p.author = u.id GROUP BY u.name;
