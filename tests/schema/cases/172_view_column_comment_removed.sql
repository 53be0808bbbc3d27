-- A comment on a view column (and on a materialized view column) present before and gone
-- after, while the view itself stays the same.
CREATE TABLE public.t (a integer, b text);
CREATE VIEW public.v AS SELECT a, b FROM public.t;
CREATE MATERIALIZED VIEW public.mv AS SELECT a FROM public.t;
COMMENT ON COLUMN public.v.a IS 'the a';
COMMENT ON COLUMN public.v.b IS 'the b';
COMMENT ON COLUMN public.mv.a IS 'cached a';
-- ==== after ====
CREATE TABLE public.t (a integer, b text);
CREATE VIEW public.v AS SELECT a, b FROM public.t;
CREATE MATERIALIZED VIEW public.mv AS SELECT a FROM public.t;
COMMENT ON COLUMN public.v.b IS 'the b';
