-- A function changes language from sql to plpgsql (same signature) and gets a comment.
CREATE FUNCTION clamp(x integer, lo integer, hi integer) RETURNS integer LANGUAGE sql IMMUTABLE AS $$ SELECT greatest(lo, least(hi, x)) $$;
-- ==== after ====
CREATE FUNCTION clamp(x integer, lo integer, hi integer) RETURNS integer LANGUAGE plpgsql IMMUTABLE AS $$
BEGIN
  IF x < lo THEN RETURN lo; END IF;
  IF x > hi THEN RETURN hi; END IF;
  RETURN x;
END
$$;
COMMENT ON FUNCTION clamp(integer, integer, integer) IS 'limits x to [lo, hi]';
