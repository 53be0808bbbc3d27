-- No-op: several schemas, quoted names, cross-schema references.
CREATE SCHEMA core;
CREATE SCHEMA "Mixed Case";
CREATE SCHEMA reporting;
CREATE TABLE core.users (id integer PRIMARY KEY, email text UNIQUE);
CREATE TABLE "Mixed Case"."Orders" ("Id" integer PRIMARY KEY, "userId" integer REFERENCES core.users (id));
CREATE VIEW reporting.order_counts AS SELECT u.email, count(o."Id") AS n FROM core.users u LEFT JOIN "Mixed Case"."Orders" o ON o."userId" = u.id GROUP BY u.email;
-- ==== after ====
CREATE SCHEMA core;
CREATE SCHEMA "Mixed Case";
CREATE SCHEMA reporting;
CREATE TABLE core.users (id integer PRIMARY KEY, email text UNIQUE);
CREATE TABLE "Mixed Case"."Orders" ("Id" integer PRIMARY KEY, "userId" integer REFERENCES core.users (id));
CREATE VIEW reporting.order_counts AS SELECT u.email, count(o."Id") AS n FROM core.users u LEFT JOIN "Mixed Case"."Orders" o ON o."userId" = u.id GROUP BY u.email;
