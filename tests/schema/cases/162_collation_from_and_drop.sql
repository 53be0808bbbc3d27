-- Collations: `CREATE COLLATION ... FROM` an existing one, a libc collation with its own
-- locale, and an ICU one; a column using one; a collation absent from "after" is dropped.
CREATE COLLATION public.old_c FROM "C";
CREATE COLLATION public.kept_posix FROM "POSIX";
-- ==== after ====
CREATE COLLATION public.kept_posix FROM "POSIX";
CREATE COLLATION public.my_c (provider = libc, locale = 'C');
CREATE COLLATION public.de_icu (provider = icu, locale = 'de-DE', deterministic = false);
COMMENT ON COLLATION public.my_c IS 'byte order';
CREATE TABLE public.word (w text COLLATE public.my_c, v text COLLATE public.de_icu);
