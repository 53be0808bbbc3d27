-- An extension installed at an older version than "after" asks for: the plan updates it in
-- place with ALTER EXTENSION ... UPDATE TO (dropping it would drop its types' columns).
CREATE EXTENSION hstore VERSION '1.6';
CREATE TABLE public.kv (id integer, attrs public.hstore);
-- ==== after ====
CREATE EXTENSION hstore VERSION '1.8';
CREATE TABLE public.kv (id integer, attrs public.hstore);
