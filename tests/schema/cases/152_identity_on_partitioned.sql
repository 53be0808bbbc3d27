-- A partitioned table with an identity column gains a partition (partitions share the parent's identity).
CREATE TABLE orders (id bigint GENERATED ALWAYS AS IDENTITY, placed date NOT NULL, PRIMARY KEY (id, placed)) PARTITION BY RANGE (placed);
CREATE TABLE orders_2024 PARTITION OF orders FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
-- ==== after ====
CREATE TABLE orders (id bigint GENERATED ALWAYS AS IDENTITY, placed date NOT NULL, PRIMARY KEY (id, placed)) PARTITION BY RANGE (placed);
CREATE TABLE orders_2024 PARTITION OF orders FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
CREATE TABLE orders_2025 PARTITION OF orders FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');
