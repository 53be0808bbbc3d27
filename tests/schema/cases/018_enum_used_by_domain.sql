-- A domain over an enum (with a check naming enum values) used by a column; the enum gains a value
-- and the domain check changes to allow it.
CREATE TYPE priority AS ENUM ('low', 'high');
CREATE DOMAIN task_priority AS priority CHECK (VALUE <> 'low');
CREATE TABLE tasks (id integer PRIMARY KEY, prio task_priority);
-- ==== after ====
CREATE TYPE priority AS ENUM ('low', 'medium', 'high');
CREATE DOMAIN task_priority AS priority CHECK (VALUE IS NOT NULL);
CREATE TABLE tasks (id integer PRIMARY KEY, prio task_priority);
