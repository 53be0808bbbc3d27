-- A primary key becomes deferrable, and a unique constraint is replaced by a unique index of the same columns.
CREATE TABLE ledger (id integer PRIMARY KEY, ref text, CONSTRAINT ledger_ref_key UNIQUE (ref));
-- ==== after ====
CREATE TABLE ledger (id integer PRIMARY KEY DEFERRABLE INITIALLY IMMEDIATE, ref text);
CREATE UNIQUE INDEX ledger_ref_idx ON ledger (ref);
