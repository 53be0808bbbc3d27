-- A NOT VALID check and a NOT VALID foreign key become validated (VALIDATE CONSTRAINT).
CREATE TABLE parents (id integer PRIMARY KEY);
CREATE TABLE kids (id integer PRIMARY KEY, parent integer, age integer);
ALTER TABLE kids ADD CONSTRAINT age_ok CHECK (age < 18) NOT VALID;
ALTER TABLE kids ADD CONSTRAINT kids_parent_fk FOREIGN KEY (parent) REFERENCES parents (id) NOT VALID;
-- ==== after ====
CREATE TABLE parents (id integer PRIMARY KEY);
CREATE TABLE kids (id integer PRIMARY KEY, parent integer, age integer);
ALTER TABLE kids ADD CONSTRAINT age_ok CHECK (age < 18);
ALTER TABLE kids ADD CONSTRAINT kids_parent_fk FOREIGN KEY (parent) REFERENCES parents (id);
