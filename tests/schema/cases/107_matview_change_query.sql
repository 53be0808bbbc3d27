-- A materialized view's query changes: it is rebuilt, and its index and comment come back.
CREATE TABLE events (id integer PRIMARY KEY, kind text, at timestamptz);
CREATE MATERIALIZED VIEW event_counts AS SELECT kind, count(*) AS n FROM events GROUP BY kind;
CREATE UNIQUE INDEX event_counts_kind ON event_counts (kind);
COMMENT ON MATERIALIZED VIEW event_counts IS 'per kind';
-- ==== after ====
CREATE TABLE events (id integer PRIMARY KEY, kind text, at timestamptz);
CREATE MATERIALIZED VIEW event_counts AS SELECT kind, count(*) AS n, max(at) AS last_at FROM events GROUP BY kind;
CREATE UNIQUE INDEX event_counts_kind ON event_counts (kind);
COMMENT ON MATERIALIZED VIEW event_counts IS 'per kind';
