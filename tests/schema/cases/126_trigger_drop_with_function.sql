-- A trigger and its function are dropped together; the function changes first in another trigger.
CREATE TABLE t (id integer PRIMARY KEY, v integer);
CREATE FUNCTION audit_fn() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$;
CREATE FUNCTION check_fn() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN IF NEW.v < 0 THEN RAISE 'negative'; END IF; RETURN NEW; END $$;
CREATE TRIGGER t_audit AFTER INSERT ON t FOR EACH ROW EXECUTE FUNCTION audit_fn();
CREATE TRIGGER t_check BEFORE INSERT ON t FOR EACH ROW EXECUTE FUNCTION check_fn();
-- ==== after ====
CREATE TABLE t (id integer PRIMARY KEY, v integer);
CREATE FUNCTION check_fn() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN IF NEW.v < 0 THEN RAISE 'negative: %', NEW.v; END IF; RETURN NEW; END $$;
CREATE TRIGGER t_check BEFORE INSERT OR UPDATE ON t FOR EACH ROW EXECUTE FUNCTION check_fn();
