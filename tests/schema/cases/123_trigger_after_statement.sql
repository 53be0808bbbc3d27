-- An AFTER statement-level trigger with transition tables, and a TRUNCATE trigger.
CREATE TABLE items (id integer PRIMARY KEY, qty integer);
CREATE TABLE item_log (at timestamptz DEFAULT now(), n bigint);
CREATE FUNCTION log_changes() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO item_log (n) SELECT count(*) FROM new_rows;
  RETURN NULL;
END
$$;
CREATE FUNCTION log_truncate() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN INSERT INTO item_log (n) VALUES (-1); RETURN NULL; END $$;
-- ==== after ====
CREATE TABLE items (id integer PRIMARY KEY, qty integer);
CREATE TABLE item_log (at timestamptz DEFAULT now(), n bigint);
CREATE FUNCTION log_changes() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO item_log (n) SELECT count(*) FROM new_rows;
  RETURN NULL;
END
$$;
CREATE FUNCTION log_truncate() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN INSERT INTO item_log (n) VALUES (-1); RETURN NULL; END $$;
CREATE TRIGGER items_log AFTER INSERT ON items REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION log_changes();
CREATE TRIGGER items_truncate AFTER TRUNCATE ON items FOR EACH STATEMENT EXECUTE FUNCTION log_truncate();
