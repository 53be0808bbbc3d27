-- A new enum value is used by a column default in the same migration: a value added by
-- ALTER TYPE ... ADD VALUE cannot be used before its transaction commits.
-- expect: txmode none
CREATE TYPE plan AS ENUM ('free', 'pro');
CREATE TABLE subscriptions (id integer PRIMARY KEY, plan plan DEFAULT 'free');
-- ==== after ====
CREATE TYPE plan AS ENUM ('trial', 'free', 'pro');
CREATE TABLE subscriptions (id integer PRIMARY KEY, plan plan DEFAULT 'trial');
