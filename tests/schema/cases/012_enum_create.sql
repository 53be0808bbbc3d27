-- An enum type is created and a new table column uses it.
CREATE TABLE tickets (id integer PRIMARY KEY);
-- ==== after ====
CREATE TYPE ticket_state AS ENUM ('open', 'in progress', 'closed');
CREATE TABLE tickets (id integer PRIMARY KEY, state ticket_state NOT NULL DEFAULT 'open');
