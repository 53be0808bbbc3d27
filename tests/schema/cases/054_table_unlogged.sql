-- An unlogged table becomes logged and a logged one unlogged.
CREATE UNLOGGED TABLE cache (k text PRIMARY KEY, v text);
CREATE TABLE scratch (k text PRIMARY KEY);
-- ==== after ====
CREATE TABLE cache (k text PRIMARY KEY, v text);
CREATE UNLOGGED TABLE scratch (k text PRIMARY KEY);
