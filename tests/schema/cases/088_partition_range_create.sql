-- A range-partitioned table with partitions, a default partition and a partitioned index, from nothing.
-- ==== after ====
CREATE TABLE measurements (id bigint NOT NULL, at date NOT NULL, value numeric, PRIMARY KEY (id, at)) PARTITION BY RANGE (at);
CREATE TABLE measurements_2023 PARTITION OF measurements FOR VALUES FROM ('2023-01-01') TO ('2024-01-01');
CREATE TABLE measurements_2024 PARTITION OF measurements FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
CREATE TABLE measurements_other PARTITION OF measurements DEFAULT;
CREATE INDEX measurements_value ON measurements (value);
