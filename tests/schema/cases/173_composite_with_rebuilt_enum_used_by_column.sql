-- An enum loses a value, so it is rebuilt (renamed, created again, uses converted); a
-- composite type has an attribute of that enum and a table column uses the composite. The
-- attribute cannot be altered while the column uses the composite: the column goes to text
-- and back around it.
CREATE TYPE public.color AS ENUM ('red', 'green', 'blue');
CREATE TYPE public.paint AS (name text, c public.color);
CREATE TABLE public.can (id integer, p public.paint, c public.color);
-- ==== after ====
CREATE TYPE public.color AS ENUM ('red', 'blue');
CREATE TYPE public.paint AS (name text, c public.color);
CREATE TABLE public.can (id integer, p public.paint, c public.color);
