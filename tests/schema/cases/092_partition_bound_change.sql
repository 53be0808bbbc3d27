-- A partition's bounds change (detach and re-attach with new bounds, keeping its rows).
CREATE TABLE t (k integer NOT NULL, v text) PARTITION BY RANGE (k);
CREATE TABLE t_low PARTITION OF t FOR VALUES FROM (0) TO (100);
-- ==== after ====
CREATE TABLE t (k integer NOT NULL, v text) PARTITION BY RANGE (k);
CREATE TABLE t_low PARTITION OF t FOR VALUES FROM (0) TO (1000);
