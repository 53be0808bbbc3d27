-- No-op: spellings PostgreSQL normalises (serial, int4, varchar without length, defaults with casts,
-- check constraints written in different ways, timestamp precision): the plan must be empty.
CREATE TABLE t (
  id serial PRIMARY KEY,
  a int4 DEFAULT '5',
  b character varying DEFAULT 'x'::text,
  c timestamp(3) with time zone DEFAULT CURRENT_TIMESTAMP(3),
  d numeric DEFAULT -1.50,
  e bool DEFAULT 'yes',
  f int8[] DEFAULT ARRAY[1, 2],
  g interval DEFAULT '1 day 2 hours',
  h jsonb DEFAULT '{"b": 1, "a": [1, 2]}',
  CHECK (a BETWEEN 1 AND 10),
  CHECK (b IN ('x', 'y'))
);
CREATE INDEX t_lower ON t (lower(b)) WHERE a > 1 AND b IS NOT NULL;
-- ==== after ====
CREATE TABLE t (
  id serial PRIMARY KEY,
  a int4 DEFAULT '5',
  b character varying DEFAULT 'x'::text,
  c timestamp(3) with time zone DEFAULT CURRENT_TIMESTAMP(3),
  d numeric DEFAULT -1.50,
  e bool DEFAULT 'yes',
  f int8[] DEFAULT ARRAY[1, 2],
  g interval DEFAULT '1 day 2 hours',
  h jsonb DEFAULT '{"b": 1, "a": [1, 2]}',
  CHECK (a BETWEEN 1 AND 10),
  CHECK (b IN ('x', 'y'))
);
CREATE INDEX t_lower ON t (lower(b)) WHERE a > 1 AND b IS NOT NULL;
