-- Values are added after existing ones in a schema-qualified enum, including after the last.
CREATE SCHEMA shop;
CREATE TYPE shop.status AS ENUM ('new', 'paid', 'shipped');
CREATE TABLE shop.orders (id integer PRIMARY KEY, status shop.status DEFAULT 'new');
-- ==== after ====
CREATE SCHEMA shop;
CREATE TYPE shop.status AS ENUM ('new', 'paid', 'packed', 'shipped', 'delivered');
CREATE TABLE shop.orders (id integer PRIMARY KEY, status shop.status DEFAULT 'new');
