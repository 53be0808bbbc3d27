-- Column collations: one gains "C", one changes "C" -> "POSIX", one drops back to the default.
CREATE TABLE words (a text, b text COLLATE "C", c varchar(10) COLLATE "POSIX");
-- ==== after ====
CREATE TABLE words (a text COLLATE "C", b text COLLATE "POSIX", c varchar(10));
