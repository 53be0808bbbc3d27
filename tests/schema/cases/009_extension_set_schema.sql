-- An extension moves from public to another schema (ALTER EXTENSION ... SET SCHEMA).
CREATE SCHEMA extensions;
CREATE EXTENSION citext;
-- ==== after ====
CREATE SCHEMA extensions;
CREATE EXTENSION citext WITH SCHEMA extensions;
