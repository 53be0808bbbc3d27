-- No-op in effect: the same schema written differently (column-level vs table-level constraints,
-- type aliases, keyword case, statement order). The plan must be empty.
-- expect: no changes
CREATE TABLE parent (id INTEGER NOT NULL, CONSTRAINT parent_pkey PRIMARY KEY (id));
CREATE TABLE child (
  id int PRIMARY KEY,
  parent_id int4 CONSTRAINT child_parent_id_fkey REFERENCES parent,
  amount DECIMAL(10,2),
  label VARCHAR(5) DEFAULT 'abc',
  at TIMESTAMP WITHOUT TIME ZONE
);
CREATE INDEX child_parent ON child USING btree (parent_id ASC NULLS LAST);
-- ==== after ====
create table parent (id int primary key);
create table child (
  id integer not null,
  parent_id integer,
  amount numeric(10, 2),
  label character varying(5) default 'abc'::character varying,
  at timestamp,
  primary key (id),
  foreign key (parent_id) references parent (id)
);
create index child_parent on child (parent_id);
