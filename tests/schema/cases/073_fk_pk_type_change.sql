-- The referenced key and the referencing column both change type integer -> bigint.
CREATE TABLE owners (id integer PRIMARY KEY);
CREATE TABLE pets (id integer PRIMARY KEY, owner integer NOT NULL REFERENCES owners (id));
-- ==== after ====
CREATE TABLE owners (id bigint PRIMARY KEY);
CREATE TABLE pets (id integer PRIMARY KEY, owner bigint NOT NULL REFERENCES owners (id));
