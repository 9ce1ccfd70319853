-- migrate_to: up or down to exactly a version of the folder.
\getenv abs_srcdir PG_ABS_SRCDIR
\set fx :abs_srcdir '/test/fixtures'
\set orig :DBNAME
CREATE DATABASE pgm_life_to;
\c pgm_life_to
CREATE EXTENSION pg_migrate;
\set basic :fx '/life_basic'

-- up
SELECT version, name, direction FROM migrate_to(:'basic', 2);
TABLE schema_migrations;
SELECT version, name, direction, duration_ms >= 0 AS timed FROM migrate_to(:'basic', 3);
TABLE schema_migrations;
-- already there: nothing
SELECT version, name, direction FROM migrate_to(:'basic', 3);
-- down
SELECT version, name, direction FROM migrate_to(:'basic', 1);
TABLE schema_migrations;
SELECT version, state FROM migrate_status(:'basic');
-- 0: nothing applied
SELECT version, name, direction FROM migrate_to(:'basic', 0);
TABLE schema_migrations;
SELECT to_regclass('public.users') AS users;
SELECT version, name, direction FROM migrate_to(:'basic', 3);
SELECT version, name, direction FROM migrate_to(:'basic', 0);

-- a version that is not a migration of the folder
SELECT * FROM migrate_to(:'basic', 4);
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT * FROM migrate_to(:'basic', -1);
SELECT * FROM migrate_to(:'basic', NULL);
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT * FROM migrate_to(NULL, 1);
SELECT count(*) AS history_rows FROM pgmigrate.history WHERE state = 'applied';

\c :orig
DROP DATABASE pgm_life_to;
