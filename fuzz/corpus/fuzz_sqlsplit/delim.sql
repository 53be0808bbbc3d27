-- atlas:delimiter \n\n

CREATE INDEX i ON t(c)

SELECT 2

