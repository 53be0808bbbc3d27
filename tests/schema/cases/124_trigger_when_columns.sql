-- A trigger on UPDATE OF specific columns with a WHEN condition and arguments.
CREATE TABLE prices (id integer PRIMARY KEY, amount numeric, currency text, note text);
CREATE TABLE price_history (id integer, old_amount numeric, tag text);
CREATE FUNCTION remember_price() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO price_history VALUES (OLD.id, OLD.amount, TG_ARGV[0]);
  RETURN NEW;
END
$$;
-- ==== after ====
CREATE TABLE prices (id integer PRIMARY KEY, amount numeric, currency text, note text);
CREATE TABLE price_history (id integer, old_amount numeric, tag text);
CREATE FUNCTION remember_price() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO price_history VALUES (OLD.id, OLD.amount, TG_ARGV[0]);
  RETURN NEW;
END
$$;
CREATE TRIGGER prices_history AFTER UPDATE OF amount, currency ON prices FOR EACH ROW
  WHEN (OLD.amount IS DISTINCT FROM NEW.amount) EXECUTE FUNCTION remember_price('manual', '2');
