-- atlas:txmode none
-- atlas:nolint DS102

-- create
CREATE TABLE t (id int, name text DEFAULT 'a;b');
/*atlas:nolint DS103*/
DROP TABLE "x""y";
SELECT 1;;