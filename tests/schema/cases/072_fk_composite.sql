-- A composite foreign key to a composite unique constraint, and its referenced columns change.
CREATE TABLE regions (country char(2), code text, name text, PRIMARY KEY (country, code), UNIQUE (name, country));
CREATE TABLE shops (id integer PRIMARY KEY, country char(2), region text,
  CONSTRAINT shops_region_fk FOREIGN KEY (country, region) REFERENCES regions (country, code));
-- ==== after ====
CREATE TABLE regions (country char(2), code text, name text, PRIMARY KEY (country, code), UNIQUE (name, country));
CREATE TABLE shops (id integer PRIMARY KEY, country char(2), region text,
  CONSTRAINT shops_region_fk FOREIGN KEY (region, country) REFERENCES regions (name, country));
