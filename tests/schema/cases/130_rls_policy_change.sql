-- Policies change their USING / WITH CHECK expressions and command; one switches to RESTRICTIVE.
CREATE TABLE accounts (id integer PRIMARY KEY, tenant text, balance numeric);
ALTER TABLE accounts ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_rows ON accounts USING (tenant = current_setting('app.tenant'));
CREATE POLICY positive ON accounts FOR INSERT WITH CHECK (balance >= 0);
CREATE POLICY limit_rows ON accounts FOR SELECT USING (true);
-- ==== after ====
CREATE TABLE accounts (id integer PRIMARY KEY, tenant text, balance numeric);
ALTER TABLE accounts ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_rows ON accounts USING (tenant = current_setting('app.tenant', true)) WITH CHECK (tenant = current_setting('app.tenant', true));
CREATE POLICY positive ON accounts FOR UPDATE USING (true) WITH CHECK (balance >= 0);
CREATE POLICY limit_rows ON accounts AS RESTRICTIVE FOR SELECT USING (balance < 1000000);
