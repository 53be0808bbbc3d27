-- A partition is itself partitioned (sub-partitions) and a default partition appears.
CREATE TABLE logs (at date NOT NULL, level text NOT NULL, msg text) PARTITION BY RANGE (at);
CREATE TABLE logs_2024 PARTITION OF logs FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
-- ==== after ====
CREATE TABLE logs (at date NOT NULL, level text NOT NULL, msg text) PARTITION BY RANGE (at);
CREATE TABLE logs_2024 PARTITION OF logs FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
CREATE TABLE logs_2025 PARTITION OF logs FOR VALUES FROM ('2025-01-01') TO ('2026-01-01') PARTITION BY LIST (level);
CREATE TABLE logs_2025_err PARTITION OF logs_2025 FOR VALUES IN ('error');
CREATE TABLE logs_2025_rest PARTITION OF logs_2025 DEFAULT;
CREATE TABLE logs_default PARTITION OF logs DEFAULT;
