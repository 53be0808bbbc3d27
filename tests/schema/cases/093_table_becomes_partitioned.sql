-- A plain table becomes range-partitioned (the table has to be replaced).
-- expect: destructive
CREATE TABLE metrics (id bigint NOT NULL, at timestamptz NOT NULL, v double precision);
-- ==== after ====
CREATE TABLE metrics (id bigint NOT NULL, at timestamptz NOT NULL, v double precision) PARTITION BY RANGE (at);
CREATE TABLE metrics_all PARTITION OF metrics FOR VALUES FROM (MINVALUE) TO (MAXVALUE);
