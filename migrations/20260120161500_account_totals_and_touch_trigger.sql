-- Keep accounts.updated_at current, and report spend per account.
CREATE FUNCTION "touch_updated_at"() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  NEW.updated_at := now();
  RETURN NEW;
END;
$$;

CREATE TRIGGER "accounts_touch_updated_at" BEFORE UPDATE ON "accounts"
  FOR EACH ROW EXECUTE FUNCTION "touch_updated_at"();

CREATE VIEW "account_totals" AS
  SELECT a.id AS account_id, a.email, count(o.id) AS orders, coalesce(sum(o.amount_cents), 0) AS total_cents
  FROM accounts a LEFT JOIN orders o ON o.account_id = a.id
  GROUP BY a.id, a.email;
