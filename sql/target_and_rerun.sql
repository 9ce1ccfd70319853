-- target applies up to a version; later calls continue from there.
\getenv abs_srcdir PG_ABS_SRCDIR
\set fx :abs_srcdir '/test/fixtures'
\set orig :DBNAME
CREATE DATABASE pgm_target;
\c pgm_target
CREATE EXTENSION pg_migrate;

SELECT version, name FROM migrate_apply(:'fx' || '/target', 1);
TABLE schema_migrations;
SELECT version, state FROM migrate_status(:'fx' || '/target');
-- a target below what is applied does nothing
SELECT version, name FROM migrate_apply(:'fx' || '/target', 0);
SELECT version, name FROM migrate_apply(:'fx' || '/target', 2);
SELECT version, name FROM migrate_apply(:'fx' || '/target');
SELECT version, name FROM migrate_apply(:'fx' || '/target');
TABLE schema_migrations;
SELECT version, state FROM migrate_status(:'fx' || '/target');
SELECT version, state FROM pgmigrate.history ORDER BY id;

-- the folder argument is checked
SELECT * FROM migrate_apply(NULL);
SELECT * FROM migrate_apply('relative/path');
SELECT * FROM migrate_apply('/nonexistent/pg_migrate/folder');
SELECT * FROM migrate_apply('/dev/null');

\c :orig
DROP DATABASE pgm_target;
