-- A composite type used as a function's argument and result gains an attribute; the function
-- body changes to fill it.
CREATE TYPE pair AS (a integer, b integer);
CREATE FUNCTION swap(p pair) RETURNS pair LANGUAGE sql IMMUTABLE AS $$ SELECT ROW(p.b, p.a)::pair $$;
-- ==== after ====
CREATE TYPE pair AS (a integer, b integer, label text);
CREATE FUNCTION swap(p pair) RETURNS pair LANGUAGE sql IMMUTABLE AS $$ SELECT ROW(p.b, p.a, p.label)::pair $$;
