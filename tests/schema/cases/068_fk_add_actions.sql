-- Foreign keys with referential actions and MATCH FULL are added.
CREATE TABLE authors (id integer PRIMARY KEY);
CREATE TABLE books (id integer PRIMARY KEY, author integer, editor integer, a integer, b integer);
CREATE TABLE pairs (a integer, b integer, PRIMARY KEY (a, b));
-- ==== after ====
CREATE TABLE authors (id integer PRIMARY KEY);
CREATE TABLE pairs (a integer, b integer, PRIMARY KEY (a, b));
CREATE TABLE books (id integer PRIMARY KEY, author integer, editor integer, a integer, b integer,
  CONSTRAINT books_author_fk FOREIGN KEY (author) REFERENCES authors (id) ON DELETE CASCADE ON UPDATE RESTRICT,
  CONSTRAINT books_editor_fk FOREIGN KEY (editor) REFERENCES authors (id) ON DELETE SET NULL ON UPDATE CASCADE,
  CONSTRAINT books_pair_fk FOREIGN KEY (a, b) REFERENCES pairs (a, b) MATCH FULL ON DELETE SET DEFAULT);
