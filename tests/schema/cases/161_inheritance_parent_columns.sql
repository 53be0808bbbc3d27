-- Columns added to and dropped from a parent table appear in (and leave) every child, by
-- inheritance and by partitioning. The plan changes the parent only; a child's own local
-- column (attislocal) is kept, and a column the child both declares and inherits
-- (attislocal and attinhcount > 0) stays when the parent drops it.
-- expect: destructive
CREATE TABLE public.animal (id integer NOT NULL, name text, legs integer);
CREATE TABLE public.dog (bark text) INHERITS (public.animal);
CREATE TABLE public.cat (name text, legs integer) INHERITS (public.animal);
CREATE TABLE public.event (id integer NOT NULL, at date NOT NULL, old_note text) PARTITION BY RANGE (at);
CREATE TABLE public.event_2024 PARTITION OF public.event FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
-- ==== after ====
CREATE TABLE public.animal (id integer NOT NULL, name text, born date);
CREATE TABLE public.dog (bark text) INHERITS (public.animal);
CREATE TABLE public.cat (name text, legs integer) INHERITS (public.animal);
CREATE TABLE public.event (id integer NOT NULL, at date NOT NULL, source text DEFAULT 'web') PARTITION BY RANGE (at);
CREATE TABLE public.event_2024 PARTITION OF public.event FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
