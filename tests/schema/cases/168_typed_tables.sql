-- Typed tables (CREATE TABLE ... OF type): created with their column options, one stops
-- being typed (NOT OF), a plain table becomes typed (OF), a new one is created.
CREATE TYPE public.point3 AS (x float8, y float8, z float8);
CREATE TABLE public.p_old OF public.point3;
CREATE TABLE public.p_plain (x float8, y float8, z float8);
-- ==== after ====
CREATE TYPE public.point3 AS (x float8, y float8, z float8);
CREATE TABLE public.p_old (x float8, y float8, z float8);
CREATE TABLE public.p_plain OF public.point3;
CREATE TABLE public.p_new OF public.point3 (x WITH OPTIONS NOT NULL DEFAULT 0, PRIMARY KEY (x, y));
