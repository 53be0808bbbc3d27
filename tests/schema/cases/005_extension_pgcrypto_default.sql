-- An extension appears and a new column default calls one of its functions.
CREATE TABLE users (id integer PRIMARY KEY, password text);
-- ==== after ====
CREATE EXTENSION pgcrypto;
CREATE TABLE users (id integer PRIMARY KEY, password text, salt text DEFAULT gen_salt('bf'));
