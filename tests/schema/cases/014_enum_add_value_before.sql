-- A value is inserted before the first one and another in the middle (order matters for enums).
CREATE TYPE size AS ENUM ('m', 'xl');
-- ==== after ====
CREATE TYPE size AS ENUM ('xs', 'm', 'l', 'xl');
