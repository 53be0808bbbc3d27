-- An exclusion constraint on a range changes (gains a WHERE clause) and another is dropped.
CREATE TABLE shifts (id integer PRIMARY KEY, span int4range, active boolean,
  CONSTRAINT shifts_span_excl EXCLUDE USING gist (span WITH &&),
  CONSTRAINT shifts_dup EXCLUDE USING btree (id WITH =));
-- ==== after ====
CREATE TABLE shifts (id integer PRIMARY KEY, span int4range, active boolean,
  CONSTRAINT shifts_span_excl EXCLUDE USING gist (span WITH &&) WHERE (active));
