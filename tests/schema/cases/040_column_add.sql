-- Columns of several kinds are added to an existing table.
CREATE TABLE products (id integer PRIMARY KEY);
-- ==== after ====
CREATE TABLE products (
  id integer PRIMARY KEY,
  name text NOT NULL DEFAULT '',
  price numeric(8, 2),
  tags text[] DEFAULT '{}',
  created_at timestamptz NOT NULL DEFAULT now(),
  "Weird ""Name""" integer
);
