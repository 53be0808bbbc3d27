-- A check constraint is added NOT VALID (existing rows are not checked); the model keeps that.
CREATE TABLE readings (id integer PRIMARY KEY, v numeric);
-- ==== after ====
CREATE TABLE readings (id integer PRIMARY KEY, v numeric);
ALTER TABLE readings ADD CONSTRAINT v_range CHECK (v BETWEEN -100 AND 100) NOT VALID;
