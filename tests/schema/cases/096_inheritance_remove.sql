-- A child table stops inheriting (NO INHERIT keeps its columns) and the parent gains a check that children inherit.
CREATE TABLE base (id integer NOT NULL, note text);
CREATE TABLE child_a (extra integer) INHERITS (base);
CREATE TABLE child_b (other text) INHERITS (base);
-- ==== after ====
CREATE TABLE base (id integer NOT NULL, note text, CONSTRAINT base_id_positive CHECK (id > 0));
CREATE TABLE child_a (extra integer) INHERITS (base);
CREATE TABLE child_b (id integer NOT NULL, note text, other text);
