-- A domain whose CHECK calls a function of the same schema, a composite type using that
-- domain, and a function taking the composite: functions, domains and types are created in
-- one dependency order, not kind by kind.
-- ==== after ====
CREATE FUNCTION public.is_slug(v text) RETURNS boolean LANGUAGE sql IMMUTABLE
  AS $$ SELECT v ~ '^[a-z0-9-]+$' $$;
CREATE DOMAIN public.slug AS text CHECK (public.is_slug(VALUE));
CREATE TYPE public.page_ref AS (site integer, path public.slug);
CREATE FUNCTION public.page_url(r public.page_ref) RETURNS text LANGUAGE sql IMMUTABLE
  AS $$ SELECT '/' || (r).site || '/' || (r).path $$;
CREATE DOMAIN public.short_slug AS public.slug CHECK (length(VALUE) < 40);
CREATE TABLE public.page (id integer, slug public.slug, ref public.page_ref);
