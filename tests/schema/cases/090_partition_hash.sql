-- A hash-partitioned table gains a column, which propagates to its partitions.
CREATE TABLE sessions (id uuid NOT NULL PRIMARY KEY, data jsonb) PARTITION BY HASH (id);
CREATE TABLE sessions_0 PARTITION OF sessions FOR VALUES WITH (MODULUS 2, REMAINDER 0);
CREATE TABLE sessions_1 PARTITION OF sessions FOR VALUES WITH (MODULUS 2, REMAINDER 1);
-- ==== after ====
CREATE TABLE sessions (id uuid NOT NULL PRIMARY KEY, data jsonb, expires timestamptz) PARTITION BY HASH (id);
CREATE TABLE sessions_0 PARTITION OF sessions FOR VALUES WITH (MODULUS 2, REMAINDER 0);
CREATE TABLE sessions_1 PARTITION OF sessions FOR VALUES WITH (MODULUS 2, REMAINDER 1);
CREATE INDEX sessions_expires ON sessions (expires);
