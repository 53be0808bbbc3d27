-- User-defined aggregates: one kept, one whose state function changes, one added (with an
-- ORDER BY-style ordered-set argument list left out: plain aggregates), one dropped.
CREATE FUNCTION public.add2(integer, integer) RETURNS integer LANGUAGE sql IMMUTABLE AS 'SELECT $1 + $2';
CREATE FUNCTION public.mul2(integer, integer) RETURNS integer LANGUAGE sql IMMUTABLE AS 'SELECT $1 * $2';
CREATE AGGREGATE public.my_sum(integer) (SFUNC = public.add2, STYPE = integer, INITCOND = '0');
CREATE AGGREGATE public.my_prod(integer) (SFUNC = public.add2, STYPE = integer, INITCOND = '1');
CREATE AGGREGATE public.gone(integer) (SFUNC = public.add2, STYPE = integer);
-- ==== after ====
CREATE FUNCTION public.add2(integer, integer) RETURNS integer LANGUAGE sql IMMUTABLE AS 'SELECT $1 + $2';
CREATE FUNCTION public.mul2(integer, integer) RETURNS integer LANGUAGE sql IMMUTABLE AS 'SELECT $1 * $2';
CREATE AGGREGATE public.my_sum(integer) (SFUNC = public.add2, STYPE = integer, INITCOND = '0');
CREATE AGGREGATE public.my_prod(integer) (SFUNC = public.mul2, STYPE = integer, INITCOND = '1');
CREATE AGGREGATE public.my_max(integer) (SFUNC = int4larger, STYPE = integer, PARALLEL = SAFE);
COMMENT ON AGGREGATE public.my_max(integer) IS 'largest';
CREATE VIEW public.agg_use AS SELECT public.my_max(x) AS m FROM (VALUES (1), (2)) v(x);
