-- A function used by a column default and by a check constraint changes its signature:
-- the default and the check have to be dropped before the old function and restored after.
CREATE FUNCTION next_code(p text) RETURNS text LANGUAGE sql VOLATILE AS $$ SELECT p || '-' || floor(random() * 1000)::text $$;
CREATE FUNCTION valid_code(c text) RETURNS boolean LANGUAGE sql IMMUTABLE AS $$ SELECT c ~ '^[A-Z]+-[0-9]+$' $$;
CREATE TABLE codes (id integer PRIMARY KEY, code text DEFAULT next_code('A') CHECK (valid_code(code)));
-- ==== after ====
CREATE FUNCTION next_code(p varchar) RETURNS text LANGUAGE sql VOLATILE AS $$ SELECT p || '-' || floor(random() * 1000)::text $$;
CREATE FUNCTION valid_code(c text, strict_mode boolean DEFAULT true) RETURNS boolean LANGUAGE sql IMMUTABLE AS $$ SELECT c ~ '^[A-Z]+-[0-9]+$' OR NOT strict_mode $$;
CREATE TABLE codes (id integer PRIMARY KEY, code text DEFAULT next_code('A') CHECK (valid_code(code)));
