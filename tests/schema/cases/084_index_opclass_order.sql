-- Operator classes, ordering and collations in indexes: text_pattern_ops, DESC NULLS FIRST,
-- ASC NULLS LAST on a DESC column, COLLATE "C".
CREATE TABLE names (id integer PRIMARY KEY, name text, score integer, at date);
CREATE INDEX names_name ON names (name);
-- ==== after ====
CREATE TABLE names (id integer PRIMARY KEY, name text, score integer, at date);
CREATE INDEX names_name ON names (name text_pattern_ops);
CREATE INDEX names_score ON names (score DESC NULLS FIRST, at NULLS FIRST);
CREATE INDEX names_score_last ON names (score DESC NULLS LAST);
CREATE INDEX names_name_c ON names (name COLLATE "C" varchar_pattern_ops);
