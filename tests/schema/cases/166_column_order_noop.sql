-- The same table with its columns in another order: PostgreSQL cannot reorder columns
-- without rebuilding the table, so this is not a difference and the plan is empty.
-- expect: no changes
CREATE TABLE public.person (id integer PRIMARY KEY, name text NOT NULL, email text, born date);
CREATE VIEW public.person_names AS SELECT id, name FROM public.person;
-- ==== after ====
CREATE TABLE public.person (email text, born date, id integer PRIMARY KEY, name text NOT NULL);
CREATE VIEW public.person_names AS SELECT id, name FROM public.person;
