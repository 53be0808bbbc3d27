-- Column type changes that need USING or are binary-compatible: text -> integer,
-- varchar(10) -> varchar(50), integer -> bigint, timestamp -> timestamptz, text -> jsonb, char -> text.
CREATE TABLE mixed (
  id integer PRIMARY KEY,
  qty text,
  code varchar(10),
  counter integer,
  at timestamp,
  payload text,
  flag char(1)
);
-- ==== after ====
CREATE TABLE mixed (
  id integer PRIMARY KEY,
  qty integer,
  code varchar(50),
  counter bigint,
  at timestamptz,
  payload jsonb,
  flag text
);
