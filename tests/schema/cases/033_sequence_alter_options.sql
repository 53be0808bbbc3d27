-- A sequence changes increment, bounds, cache, cycle and data type.
CREATE SEQUENCE counter AS integer INCREMENT BY 1 MINVALUE 1 MAXVALUE 100000 CACHE 1 NO CYCLE;
CREATE SEQUENCE ring AS smallint CYCLE;
-- ==== after ====
CREATE SEQUENCE counter AS bigint INCREMENT BY 5 MINVALUE 1 MAXVALUE 9000000000 CACHE 20 CYCLE;
CREATE SEQUENCE ring AS smallint NO CYCLE;
