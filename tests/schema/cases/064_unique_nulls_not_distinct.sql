-- A unique constraint switches to NULLS NOT DISTINCT (PostgreSQL 15), another is added with it.
CREATE TABLE slots (id integer PRIMARY KEY, room integer, at timestamptz, code text,
  CONSTRAINT slots_room_at UNIQUE (room, at));
-- ==== after ====
CREATE TABLE slots (id integer PRIMARY KEY, room integer, at timestamptz, code text,
  CONSTRAINT slots_room_at UNIQUE NULLS NOT DISTINCT (room, at),
  CONSTRAINT slots_code UNIQUE NULLS NOT DISTINCT (code));
