-- A self-referencing foreign key is added in a new table and in an existing one.
CREATE TABLE categories (id integer PRIMARY KEY, parent integer);
-- ==== after ====
CREATE TABLE categories (id integer PRIMARY KEY, parent integer REFERENCES categories (id) ON DELETE CASCADE);
CREATE TABLE employees (id integer PRIMARY KEY, manager integer REFERENCES employees (id));
