-- Comments on a table, a function, an index and a trigger are removed or changed.
CREATE TABLE t (id integer PRIMARY KEY, v integer);
CREATE INDEX t_v ON t (v);
CREATE FUNCTION f() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$;
CREATE TRIGGER t_f BEFORE UPDATE ON t FOR EACH ROW EXECUTE FUNCTION f();
COMMENT ON TABLE t IS 'table';
COMMENT ON FUNCTION f() IS 'function';
COMMENT ON INDEX t_v IS 'index';
COMMENT ON TRIGGER t_f ON t IS 'trigger';
-- ==== after ====
CREATE TABLE t (id integer PRIMARY KEY, v integer);
CREATE INDEX t_v ON t (v);
CREATE FUNCTION f() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$;
CREATE TRIGGER t_f BEFORE UPDATE ON t FOR EACH ROW EXECUTE FUNCTION f();
COMMENT ON TRIGGER t_f ON t IS 'trigger, changed';
