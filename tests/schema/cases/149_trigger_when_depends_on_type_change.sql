-- A column used in a trigger's WHEN clause changes type: the trigger has to be dropped first and recreated.
CREATE TABLE t (id integer PRIMARY KEY, status smallint);
CREATE FUNCTION on_status() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$;
CREATE TRIGGER t_status AFTER UPDATE ON t FOR EACH ROW WHEN (OLD.status IS DISTINCT FROM NEW.status) EXECUTE FUNCTION on_status();
-- ==== after ====
CREATE TABLE t (id integer PRIMARY KEY, status integer);
CREATE FUNCTION on_status() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$;
CREATE TRIGGER t_status AFTER UPDATE ON t FOR EACH ROW WHEN (OLD.status IS DISTINCT FROM NEW.status) EXECUTE FUNCTION on_status();
