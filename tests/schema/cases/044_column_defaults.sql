-- Defaults: added (constants and expressions), changed and dropped.
CREATE EXTENSION pgcrypto;
CREATE TABLE docs (
  id uuid,
  title text DEFAULT 'untitled',
  created timestamptz,
  version integer DEFAULT 1,
  flags text[],
  due date DEFAULT current_date + 7
);
-- ==== after ====
CREATE EXTENSION pgcrypto;
CREATE TABLE docs (
  id uuid DEFAULT gen_random_uuid(),
  title text DEFAULT 'Untitled ' || to_char(now(), 'YYYY'),
  created timestamptz DEFAULT CURRENT_TIMESTAMP,
  version integer,
  flags text[] DEFAULT ARRAY['draft']::text[],
  due date DEFAULT current_date + 14
);
