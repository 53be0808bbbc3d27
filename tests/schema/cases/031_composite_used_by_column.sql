-- A composite type used by a table column gains an attribute at the end and gets a comment.
CREATE TYPE money_amount AS (value numeric, currency char(3));
CREATE TABLE invoices (id integer PRIMARY KEY, total money_amount);
-- ==== after ====
CREATE TYPE money_amount AS (value numeric, currency char(3), rate numeric);
COMMENT ON TYPE money_amount IS 'an amount of money with its currency';
CREATE TABLE invoices (id integer PRIMARY KEY, total money_amount);
