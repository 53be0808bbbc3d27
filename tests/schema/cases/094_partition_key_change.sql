-- The partition key changes from LIST (kind) to HASH (id): the partitioned table is replaced.
-- expect: destructive
CREATE TABLE items (id integer NOT NULL, kind text NOT NULL) PARTITION BY LIST (kind);
CREATE TABLE items_a PARTITION OF items FOR VALUES IN ('a');
-- ==== after ====
CREATE TABLE items (id integer NOT NULL, kind text NOT NULL) PARTITION BY HASH (id);
CREATE TABLE items_h0 PARTITION OF items FOR VALUES WITH (MODULUS 1, REMAINDER 0);
