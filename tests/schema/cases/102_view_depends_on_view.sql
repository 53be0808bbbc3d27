-- A view built on another view; the base view changes incompatibly, so both are rebuilt in order.
CREATE TABLE orders (id integer PRIMARY KEY, customer text, total numeric, placed date);
CREATE VIEW recent_orders AS SELECT id, customer, total FROM orders WHERE placed > date '2020-01-01';
CREATE VIEW big_recent_orders AS SELECT id, customer FROM recent_orders WHERE total > 1000;
-- ==== after ====
CREATE TABLE orders (id integer PRIMARY KEY, customer text, total numeric, placed date);
CREATE VIEW recent_orders AS SELECT id, total, customer, placed FROM orders WHERE placed > date '2021-01-01';
CREATE VIEW big_recent_orders AS SELECT id, customer, placed FROM recent_orders WHERE total > 1000;
