-- A standalone sequence becomes OWNED BY a column that uses it as its default.
CREATE SEQUENCE order_no START WITH 1000;
CREATE TABLE orders (id integer PRIMARY KEY, number integer);
-- ==== after ====
CREATE SEQUENCE order_no START WITH 1000;
CREATE TABLE orders (id integer PRIMARY KEY, number integer NOT NULL DEFAULT nextval('order_no'));
ALTER SEQUENCE order_no OWNED BY orders.number;
