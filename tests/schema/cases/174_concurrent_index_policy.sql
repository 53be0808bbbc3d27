-- With the concurrent-index policy (atlas.hcl: diff { concurrent_index { create = true
-- drop = true } }), new indexes on tables that already exist are built with CREATE INDEX
-- CONCURRENTLY and removed ones dropped with DROP INDEX CONCURRENTLY, outside a transaction;
-- an index on a new table, and one a column change forces, stay in the transaction.
-- diff: concurrent-index
-- expect: txmode none
CREATE TABLE public.orders (id integer PRIMARY KEY, customer integer, placed date, total numeric, note text);
CREATE INDEX orders_placed ON public.orders (placed);
CREATE INDEX orders_note ON public.orders (note);
CREATE INDEX orders_total ON public.orders (total);
-- ==== after ====
CREATE TABLE public.orders (id integer PRIMARY KEY, customer integer, placed date, total bigint, note text);
CREATE INDEX orders_customer ON public.orders (customer) WHERE customer IS NOT NULL;
CREATE UNIQUE INDEX orders_note ON public.orders (lower(note));
CREATE INDEX orders_total ON public.orders (total);
CREATE TABLE public.line (id integer, order_id integer);
CREATE INDEX line_order ON public.line (order_id);
