-- A text column becomes an enum column (USING-compatible: text -> enum via a cast) and the enum gets a comment.
CREATE TYPE weekday AS ENUM ('mon', 'tue', 'wed', 'thu', 'fri');
CREATE TABLE shifts (id integer PRIMARY KEY, day text NOT NULL);
-- ==== after ====
CREATE TYPE weekday AS ENUM ('mon', 'tue', 'wed', 'thu', 'fri');
COMMENT ON TYPE weekday IS 'working days';
CREATE TABLE shifts (id integer PRIMARY KEY, day weekday NOT NULL);
