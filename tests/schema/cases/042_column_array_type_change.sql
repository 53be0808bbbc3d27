-- Array columns change element type (integer[] -> bigint[]) and dimensions are irrelevant to PostgreSQL.
CREATE TABLE samples (id integer PRIMARY KEY, vals integer[], names varchar(10)[]);
-- ==== after ====
CREATE TABLE samples (id integer PRIMARY KEY, vals bigint[], names varchar(40)[]);
