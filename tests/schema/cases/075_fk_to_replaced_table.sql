-- A referenced table becomes partitioned: a plain table cannot be turned into a partitioned one,
-- so it is replaced, and the foreign key from another table has to be dropped and re-added.
-- expect: destructive
CREATE TABLE sites (id integer NOT NULL, region text NOT NULL, name text, PRIMARY KEY (id, region));
CREATE TABLE visits (id integer PRIMARY KEY, site integer, region text,
  CONSTRAINT visits_site_fk FOREIGN KEY (site, region) REFERENCES sites (id, region));
-- ==== after ====
CREATE TABLE sites (id integer NOT NULL, region text NOT NULL, name text, PRIMARY KEY (id, region)) PARTITION BY LIST (region);
CREATE TABLE sites_eu PARTITION OF sites FOR VALUES IN ('eu');
CREATE TABLE sites_us PARTITION OF sites FOR VALUES IN ('us');
CREATE TABLE visits (id integer PRIMARY KEY, site integer, region text,
  CONSTRAINT visits_site_fk FOREIGN KEY (site, region) REFERENCES sites (id, region));
