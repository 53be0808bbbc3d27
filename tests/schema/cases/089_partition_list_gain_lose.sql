-- A list-partitioned table gains a partition and loses one (the lost partition's rows go with it).
-- expect: destructive
CREATE TABLE sales (id integer NOT NULL, region text NOT NULL, amount numeric) PARTITION BY LIST (region);
CREATE TABLE sales_eu PARTITION OF sales FOR VALUES IN ('de', 'fr');
CREATE TABLE sales_us PARTITION OF sales FOR VALUES IN ('us');
CREATE INDEX sales_amount ON sales (amount);
-- ==== after ====
CREATE TABLE sales (id integer NOT NULL, region text NOT NULL, amount numeric) PARTITION BY LIST (region);
CREATE TABLE sales_eu PARTITION OF sales FOR VALUES IN ('de', 'fr');
CREATE TABLE sales_apac PARTITION OF sales FOR VALUES IN ('jp', 'au');
CREATE INDEX sales_amount ON sales (amount);
