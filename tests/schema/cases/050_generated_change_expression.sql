-- A stored generated column changes its expression (PostgreSQL 15 has no ALTER for that; the
-- column holds no data of its own, so recomputing it is not data loss).
CREATE TABLE lines (id integer PRIMARY KEY, qty integer NOT NULL, price numeric NOT NULL,
  total numeric GENERATED ALWAYS AS (qty * price) STORED);
-- ==== after ====
CREATE TABLE lines (id integer PRIMARY KEY, qty integer NOT NULL, price numeric NOT NULL,
  total numeric GENERATED ALWAYS AS (round(qty * price * 1.2, 2)) STORED);
