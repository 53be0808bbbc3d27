-- Procedures: one created (plpgsql with INOUT), one changed body, one BEGIN ATOMIC, one dropped.
CREATE TABLE audit (id integer GENERATED ALWAYS AS IDENTITY, msg text);
CREATE PROCEDURE log_msg(m text) LANGUAGE sql AS $$ INSERT INTO audit (msg) VALUES (m) $$;
CREATE PROCEDURE old_proc() LANGUAGE plpgsql AS $$ BEGIN NULL; END $$;
-- ==== after ====
CREATE TABLE audit (id integer GENERATED ALWAYS AS IDENTITY, msg text);
CREATE PROCEDURE log_msg(m text) LANGUAGE sql AS $$ INSERT INTO audit (msg) VALUES (upper(m)) $$;
CREATE PROCEDURE count_audit(INOUT n bigint DEFAULT NULL) LANGUAGE plpgsql AS $$
BEGIN
  SELECT count(*) INTO n FROM audit;
END
$$;
CREATE PROCEDURE log_twice(m text) LANGUAGE sql
BEGIN ATOMIC
  INSERT INTO audit (msg) VALUES (m);
  INSERT INTO audit (msg) VALUES (m);
END;
