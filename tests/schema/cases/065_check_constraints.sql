-- Check constraints: added (column and table level), dropped, and one changes its expression.
CREATE TABLE items (id integer PRIMARY KEY, qty integer CONSTRAINT qty_positive CHECK (qty > 0),
  lo integer, hi integer, name text CONSTRAINT name_len CHECK (length(name) < 100));
-- ==== after ====
CREATE TABLE items (id integer PRIMARY KEY, qty integer CONSTRAINT qty_positive CHECK (qty >= 0),
  lo integer, hi integer, name text,
  CONSTRAINT lo_le_hi CHECK (lo <= hi),
  CONSTRAINT name_not_blank CHECK (name <> '') NO INHERIT);
