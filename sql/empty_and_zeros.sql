-- Empty files are valid migrations; leading zeros are allowed; sorting is
-- numeric; .down.sql and non-.sql files are not applied.
\getenv abs_srcdir PG_ABS_SRCDIR
\set fx :abs_srcdir '/test/fixtures'
\set orig :DBNAME
CREATE DATABASE pgm_zeros;
\c pgm_zeros
CREATE EXTENSION pg_migrate;

SELECT version, name FROM migrate_apply(:'fx' || '/zeros');
SELECT to_regclass('zeros_two') AS two, to_regclass('zeros_ten') AS ten;
TABLE schema_migrations;
SELECT version, name, state, checksum FROM migrate_status();

\c :orig
DROP DATABASE pgm_zeros;
