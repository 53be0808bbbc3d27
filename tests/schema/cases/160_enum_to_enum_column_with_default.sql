-- A column moves from one enum type to another (the old type is dropped, as when an enum is
-- renamed), and another column with a default moves from text to an enum. PostgreSQL cannot
-- cast one enum to another (`cannot cast type a to b`), so the conversion goes through text;
-- and a default cannot be cast automatically, so it is dropped, the type changed, and the new
-- default set.
CREATE TYPE public.status_old AS ENUM ('new', 'done');
CREATE TABLE public.job (
  id integer PRIMARY KEY,
  status public.status_old NOT NULL DEFAULT 'new',
  kind text DEFAULT 'batch',
  tags public.status_old[]
);
-- ==== after ====
CREATE TYPE public.job_status AS ENUM ('new', 'running', 'done');
CREATE TYPE public.job_kind AS ENUM ('batch', 'stream');
CREATE TABLE public.job (
  id integer PRIMARY KEY,
  status public.job_status NOT NULL DEFAULT 'running',
  kind public.job_kind DEFAULT 'batch',
  tags public.job_status[]
);
