-- A materialized view with a unique index and a plain index is created (WITH NO DATA and WITH DATA).
CREATE TABLE sales (id integer PRIMARY KEY, region text, amount numeric);
-- ==== after ====
CREATE TABLE sales (id integer PRIMARY KEY, region text, amount numeric);
CREATE MATERIALIZED VIEW sales_by_region AS SELECT region, sum(amount) AS total FROM sales GROUP BY region;
CREATE UNIQUE INDEX sales_by_region_region ON sales_by_region (region);
CREATE INDEX sales_by_region_total ON sales_by_region (total DESC);
CREATE MATERIALIZED VIEW sales_ids AS SELECT id FROM sales WITH NO DATA;
