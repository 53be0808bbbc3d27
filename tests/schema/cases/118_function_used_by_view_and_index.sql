-- A function used by a view and by an expression index keeps its signature but changes its body
-- (CREATE OR REPLACE works with both in place); a second function used by a view is dropped with the view.
CREATE FUNCTION norm(t text) RETURNS text LANGUAGE sql IMMUTABLE AS $$ SELECT lower(t) $$;
CREATE FUNCTION shout(t text) RETURNS text LANGUAGE sql IMMUTABLE AS $$ SELECT upper(t) $$;
CREATE TABLE tags (id integer PRIMARY KEY, name text);
CREATE INDEX tags_norm ON tags (norm(name));
CREATE VIEW tag_names AS SELECT id, norm(name) AS name FROM tags;
CREATE VIEW loud_tags AS SELECT shout(name) AS name FROM tags;
-- ==== after ====
CREATE FUNCTION norm(t text) RETURNS text LANGUAGE sql IMMUTABLE AS $$ SELECT lower(trim(t)) $$;
CREATE TABLE tags (id integer PRIMARY KEY, name text);
CREATE INDEX tags_norm ON tags (norm(name));
CREATE VIEW tag_names AS SELECT id, norm(name) AS name FROM tags;
