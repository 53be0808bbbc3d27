-- A schema with a table, a view and a sequence is dropped entirely.
-- expect: destructive
CREATE SCHEMA legacy;
CREATE SEQUENCE legacy.ids;
CREATE TABLE legacy.items (id integer DEFAULT nextval('legacy.ids') PRIMARY KEY, label text);
CREATE VIEW legacy.item_labels AS SELECT label FROM legacy.items;
CREATE TABLE public.keep (id integer);
-- ==== after ====
CREATE TABLE public.keep (id integer);
