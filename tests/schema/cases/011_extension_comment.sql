-- An extension is added alongside an existing one; a comment on the existing one changes.
CREATE EXTENSION hstore;
COMMENT ON EXTENSION hstore IS 'key/value pairs';
-- ==== after ====
CREATE EXTENSION hstore;
CREATE EXTENSION "uuid-ossp";
COMMENT ON EXTENSION hstore IS 'key/value pairs for settings';
CREATE TABLE tokens (id uuid DEFAULT uuid_generate_v4() PRIMARY KEY);
