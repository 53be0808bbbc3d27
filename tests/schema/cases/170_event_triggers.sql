-- Event triggers (database-wide): one added with a tag filter, one whose function changes,
-- one disabled, one dropped.
CREATE FUNCTION public.on_ddl() RETURNS event_trigger LANGUAGE plpgsql AS $$ BEGIN END $$;
CREATE FUNCTION public.on_ddl2() RETURNS event_trigger LANGUAGE plpgsql AS $$ BEGIN RAISE NOTICE 'x'; END $$;
CREATE EVENT TRIGGER ddl_log ON ddl_command_end EXECUTE FUNCTION public.on_ddl();
CREATE EVENT TRIGGER ddl_gone ON sql_drop EXECUTE FUNCTION public.on_ddl();
CREATE EVENT TRIGGER ddl_switch ON ddl_command_start EXECUTE FUNCTION public.on_ddl();
-- ==== after ====
CREATE FUNCTION public.on_ddl() RETURNS event_trigger LANGUAGE plpgsql AS $$ BEGIN END $$;
CREATE FUNCTION public.on_ddl2() RETURNS event_trigger LANGUAGE plpgsql AS $$ BEGIN RAISE NOTICE 'x'; END $$;
CREATE EVENT TRIGGER ddl_log ON ddl_command_end EXECUTE FUNCTION public.on_ddl2();
CREATE EVENT TRIGGER ddl_switch ON ddl_command_start EXECUTE FUNCTION public.on_ddl();
ALTER EVENT TRIGGER ddl_switch DISABLE;
CREATE EVENT TRIGGER ddl_tables ON ddl_command_end WHEN TAG IN ('CREATE TABLE', 'ALTER TABLE')
  EXECUTE FUNCTION public.on_ddl();
COMMENT ON EVENT TRIGGER ddl_tables IS 'tables only';
