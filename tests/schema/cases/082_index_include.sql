-- Covering indexes with INCLUDE, and a unique constraint with INCLUDE.
CREATE TABLE orders (id integer PRIMARY KEY, customer integer, total numeric, note text);
CREATE INDEX orders_customer ON orders (customer);
-- ==== after ====
CREATE TABLE orders (id integer PRIMARY KEY, customer integer, total numeric, note text,
  CONSTRAINT orders_id_total UNIQUE (id) INCLUDE (total));
CREATE INDEX orders_customer ON orders (customer) INCLUDE (total, note);
