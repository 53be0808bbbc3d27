-- A materialized view over a view: only the matview's indexes change; then the table under both changes a column type.
CREATE TABLE readings (id integer PRIMARY KEY, sensor integer, v real);
CREATE VIEW valid_readings AS SELECT id, sensor, v FROM readings WHERE v IS NOT NULL;
CREATE MATERIALIZED VIEW sensor_avg AS SELECT sensor, avg(v) AS avg_v FROM valid_readings GROUP BY sensor;
CREATE INDEX sensor_avg_sensor ON sensor_avg (sensor);
-- ==== after ====
CREATE TABLE readings (id integer PRIMARY KEY, sensor bigint, v real);
CREATE VIEW valid_readings AS SELECT id, sensor, v FROM readings WHERE v IS NOT NULL;
CREATE MATERIALIZED VIEW sensor_avg AS SELECT sensor, avg(v) AS avg_v FROM valid_readings GROUP BY sensor;
CREATE UNIQUE INDEX sensor_avg_sensor ON sensor_avg (sensor);
CREATE INDEX sensor_avg_avg ON sensor_avg (avg_v);
