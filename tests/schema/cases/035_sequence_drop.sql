-- A sequence is dropped after the default that used it is removed; another is no longer owned.
CREATE SEQUENCE a_seq;
CREATE SEQUENCE b_seq;
CREATE TABLE t (id integer DEFAULT nextval('a_seq'), other integer);
ALTER SEQUENCE b_seq OWNED BY t.other;
-- ==== after ====
CREATE SEQUENCE b_seq;
CREATE TABLE t (id integer, other integer);
