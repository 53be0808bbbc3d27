-- A foreign key changes its ON DELETE action and its ON UPDATE action.
CREATE TABLE a (id integer PRIMARY KEY);
CREATE TABLE b (id integer PRIMARY KEY, a_id integer CONSTRAINT b_a_fk REFERENCES a (id) ON DELETE CASCADE);
-- ==== after ====
CREATE TABLE a (id integer PRIMARY KEY);
CREATE TABLE b (id integer PRIMARY KEY, a_id integer CONSTRAINT b_a_fk REFERENCES a (id) ON DELETE RESTRICT ON UPDATE NO ACTION);
