-- A unique index switches to NULLS NOT DISTINCT.
CREATE TABLE codes (a integer, b integer);
CREATE UNIQUE INDEX codes_ab ON codes (a, b);
-- ==== after ====
CREATE TABLE codes (a integer, b integer);
CREATE UNIQUE INDEX codes_ab ON codes (a, b) NULLS NOT DISTINCT;
