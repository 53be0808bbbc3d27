-- Per-column settings: STORAGE, COMPRESSION and the statistics target, set, changed and
-- reset (to the type's default storage, the default compression and -1); new tables get them
-- too.
CREATE TABLE public.doc (id integer, body text, meta jsonb, n integer);
ALTER TABLE public.doc ALTER COLUMN body SET STORAGE EXTERNAL;
ALTER TABLE public.doc ALTER COLUMN meta SET COMPRESSION pglz;
ALTER TABLE public.doc ALTER COLUMN n SET STATISTICS 500;
-- ==== after ====
CREATE TABLE public.doc (id integer, body text, meta jsonb, n integer);
ALTER TABLE public.doc ALTER COLUMN body SET STORAGE MAIN;
ALTER TABLE public.doc ALTER COLUMN body SET COMPRESSION pglz;
ALTER TABLE public.doc ALTER COLUMN id SET STATISTICS 1000;
CREATE TABLE public.blob (id integer, data bytea);
ALTER TABLE public.blob ALTER COLUMN data SET STORAGE EXTERNAL;
ALTER TABLE public.blob ALTER COLUMN data SET STATISTICS 0;
