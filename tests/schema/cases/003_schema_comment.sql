-- Comments on schemas: added, changed and removed.
CREATE SCHEMA a;
CREATE SCHEMA b;
CREATE SCHEMA c;
COMMENT ON SCHEMA b IS 'old words';
COMMENT ON SCHEMA c IS 'goes away';
-- ==== after ====
CREATE SCHEMA a;
CREATE SCHEMA b;
CREATE SCHEMA c;
COMMENT ON SCHEMA a IS 'new';
COMMENT ON SCHEMA b IS 'new words, with ''quotes''';
