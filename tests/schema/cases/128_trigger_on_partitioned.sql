-- A row trigger on a partitioned table (cloned to its partitions) is created.
CREATE TABLE ev (id integer NOT NULL, at date NOT NULL, seen boolean) PARTITION BY RANGE (at);
CREATE TABLE ev_2024 PARTITION OF ev FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
CREATE FUNCTION mark_seen() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN NEW.seen := true; RETURN NEW; END $$;
-- ==== after ====
CREATE TABLE ev (id integer NOT NULL, at date NOT NULL, seen boolean) PARTITION BY RANGE (at);
CREATE TABLE ev_2024 PARTITION OF ev FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
CREATE FUNCTION mark_seen() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN NEW.seen := true; RETURN NEW; END $$;
CREATE TRIGGER ev_seen BEFORE INSERT ON ev FOR EACH ROW EXECUTE FUNCTION mark_seen();
