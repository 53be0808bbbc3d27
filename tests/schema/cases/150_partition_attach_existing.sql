-- An existing standalone table becomes a partition of a partitioned table (ATTACH PARTITION keeps its rows).
CREATE TABLE sales (id integer NOT NULL, year integer NOT NULL, amount numeric) PARTITION BY LIST (year);
CREATE TABLE sales_2024 PARTITION OF sales FOR VALUES IN (2024);
CREATE TABLE sales_2023 (id integer NOT NULL, year integer NOT NULL, amount numeric);
-- ==== after ====
CREATE TABLE sales (id integer NOT NULL, year integer NOT NULL, amount numeric) PARTITION BY LIST (year);
CREATE TABLE sales_2024 PARTITION OF sales FOR VALUES IN (2024);
CREATE TABLE sales_2023 PARTITION OF sales FOR VALUES IN (2023);
