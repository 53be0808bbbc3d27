-- SQL functions are created: immutable, with defaults, OUT parameters, returning a table and a set.
CREATE TABLE items (id integer PRIMARY KEY, price numeric);
-- ==== after ====
CREATE TABLE items (id integer PRIMARY KEY, price numeric);
CREATE FUNCTION add_tax(amount numeric, rate numeric DEFAULT 0.2) RETURNS numeric
  LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$ SELECT amount * (1 + rate) $$;
CREATE FUNCTION price_range(OUT lo numeric, OUT hi numeric)
  LANGUAGE sql STABLE AS $$ SELECT min(price), max(price) FROM items $$;
CREATE FUNCTION cheap_items(max_price numeric) RETURNS TABLE (id integer, price numeric)
  LANGUAGE sql STABLE AS $$ SELECT id, price FROM items WHERE price <= max_price $$;
CREATE FUNCTION item_ids() RETURNS SETOF integer LANGUAGE sql AS 'SELECT id FROM items';
