-- A partition is detached and kept as a standalone table (DETACH PARTITION keeps its rows).
CREATE TABLE events (id integer NOT NULL, year integer NOT NULL) PARTITION BY LIST (year);
CREATE TABLE events_2020 PARTITION OF events FOR VALUES IN (2020);
CREATE TABLE events_2021 PARTITION OF events FOR VALUES IN (2021);
-- ==== after ====
CREATE TABLE events (id integer NOT NULL, year integer NOT NULL) PARTITION BY LIST (year);
CREATE TABLE events_2021 PARTITION OF events FOR VALUES IN (2021);
CREATE TABLE events_2020 (id integer NOT NULL, year integer NOT NULL);
