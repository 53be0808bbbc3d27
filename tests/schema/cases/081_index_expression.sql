-- Expression indexes, one of which changes its expression under the same name.
CREATE TABLE events (id integer PRIMARY KEY, payload jsonb, at timestamptz, name text);
CREATE INDEX events_kind ON events ((payload ->> 'kind'));
-- ==== after ====
CREATE TABLE events (id integer PRIMARY KEY, payload jsonb, at timestamptz, name text);
CREATE INDEX events_kind ON events ((payload ->> 'type'), (payload ->> 'kind'));
CREATE INDEX events_day ON events (date_trunc('day', at AT TIME ZONE 'UTC'));
CREATE INDEX events_name_upper ON events (upper(name) DESC);
