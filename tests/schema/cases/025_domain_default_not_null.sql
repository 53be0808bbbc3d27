-- A domain gains a default and NOT NULL; another loses both.
CREATE DOMAIN code AS varchar(8);
CREATE DOMAIN label AS text NOT NULL DEFAULT 'none';
-- ==== after ====
CREATE DOMAIN code AS varchar(8) NOT NULL DEFAULT 'X';
CREATE DOMAIN label AS text;
