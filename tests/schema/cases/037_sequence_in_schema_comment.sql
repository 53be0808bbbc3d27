-- A sequence in another schema gets a comment and moves its start value.
CREATE SCHEMA billing;
CREATE SEQUENCE billing.invoice_numbers START WITH 1;
-- ==== after ====
CREATE SCHEMA billing;
CREATE SEQUENCE billing.invoice_numbers START WITH 5000;
COMMENT ON SEQUENCE billing.invoice_numbers IS 'numbers printed on invoices';
