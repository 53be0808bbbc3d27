-- Policies that apply to specific roles (fresh roles made by the runner for this case).
-- roles: role_app role_auditor
CREATE TABLE orders (id integer PRIMARY KEY, region text);
ALTER TABLE orders ENABLE ROW LEVEL SECURITY;
CREATE POLICY orders_app ON orders TO role_app USING (region = 'eu');
-- ==== after ====
CREATE TABLE orders (id integer PRIMARY KEY, region text);
ALTER TABLE orders ENABLE ROW LEVEL SECURITY;
CREATE POLICY orders_app ON orders TO role_app, role_auditor USING (region = 'eu');
CREATE POLICY orders_audit ON orders FOR SELECT TO role_auditor USING (true);
