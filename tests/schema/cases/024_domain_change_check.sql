-- A domain check constraint changes its expression; another is added and one removed.
CREATE DOMAIN percent AS numeric(5, 2) CONSTRAINT percent_range CHECK (VALUE >= 0 AND VALUE <= 100) CONSTRAINT percent_round CHECK (VALUE = round(VALUE));
CREATE TABLE scores (id integer PRIMARY KEY, pct percent);
-- ==== after ====
CREATE DOMAIN percent AS numeric(5, 2) CONSTRAINT percent_range CHECK (VALUE BETWEEN 0 AND 100) CONSTRAINT percent_not_nan CHECK (VALUE <> 'NaN');
CREATE TABLE scores (id integer PRIMARY KEY, pct percent);
