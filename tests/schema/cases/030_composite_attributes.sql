-- A composite type not used by tables gains, loses and retypes attributes.
CREATE TYPE address AS (street text, number integer, zip varchar(5));
-- ==== after ====
CREATE TYPE address AS (street text, number bigint, city text COLLATE "C");
