-- A BEFORE INSERT OR UPDATE row trigger and its trigger function are created.
CREATE TABLE notes (id integer PRIMARY KEY, body text, updated_at timestamptz);
-- ==== after ====
CREATE TABLE notes (id integer PRIMARY KEY, body text, updated_at timestamptz);
CREATE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  NEW.updated_at := now();
  RETURN NEW;
END
$$;
CREATE TRIGGER notes_touch BEFORE INSERT OR UPDATE ON notes FOR EACH ROW EXECUTE FUNCTION touch();
