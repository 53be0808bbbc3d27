-- An unused enum type is dropped; another one stays.
CREATE TYPE colour AS ENUM ('red', 'green');
CREATE TYPE shape AS ENUM ('round', 'square');
-- ==== after ====
CREATE TYPE shape AS ENUM ('round', 'square');
