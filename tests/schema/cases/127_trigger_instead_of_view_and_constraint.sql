-- An INSTEAD OF trigger on a view and a deferrable constraint trigger are created.
CREATE TABLE base (id integer PRIMARY KEY, v integer);
CREATE VIEW base_v AS SELECT id, v FROM base;
CREATE FUNCTION base_v_insert() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN INSERT INTO base VALUES (NEW.id, NEW.v); RETURN NEW; END $$;
CREATE FUNCTION base_check() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NULL; END $$;
-- ==== after ====
CREATE TABLE base (id integer PRIMARY KEY, v integer);
CREATE VIEW base_v AS SELECT id, v FROM base;
CREATE FUNCTION base_v_insert() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN INSERT INTO base VALUES (NEW.id, NEW.v); RETURN NEW; END $$;
CREATE FUNCTION base_check() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NULL; END $$;
CREATE TRIGGER base_v_ins INSTEAD OF INSERT ON base_v FOR EACH ROW EXECUTE FUNCTION base_v_insert();
CREATE CONSTRAINT TRIGGER base_deferred_check AFTER INSERT OR UPDATE ON base DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION base_check();
