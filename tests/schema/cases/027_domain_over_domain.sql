-- A domain over another domain; the base domain's check changes while both are in use.
CREATE DOMAIN amount AS numeric(12, 2) CHECK (VALUE >= 0);
CREATE DOMAIN small_amount AS amount CHECK (VALUE < 1000);
CREATE TABLE payments (id integer PRIMARY KEY, total amount, tip small_amount);
-- ==== after ====
CREATE DOMAIN amount AS numeric(12, 2) CHECK (VALUE > -0.01);
CREATE DOMAIN small_amount AS amount CHECK (VALUE < 1000);
CREATE TABLE payments (id integer PRIMARY KEY, total amount, tip small_amount);
COMMENT ON DOMAIN small_amount IS 'under a thousand';
