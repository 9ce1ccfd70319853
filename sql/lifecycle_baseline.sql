-- migrate_baseline: an existing database records the migrations it already
-- has as applied, without running them.
\getenv abs_srcdir PG_ABS_SRCDIR
\set fx :abs_srcdir '/test/fixtures'
\set orig :DBNAME
CREATE DATABASE pgm_life_baseline;
\c pgm_life_baseline
CREATE EXTENSION pg_migrate;
\set basic :fx '/life_basic'

-- the schema of migrations 1 and 2 made by hand, as in a database that
-- predates pg_migrate
\set f :basic '/1_users.up.sql'
\i :f
\set f :basic '/2_posts.up.sql'
\i :f
SELECT version, name FROM migrate_baseline(:'basic', 2);
SELECT version, state, file, checksum IS NOT NULL AS has_checksum, duration_ms,
       applied_by = current_user AS by_caller, note
FROM pgmigrate.history ORDER BY id;
TABLE schema_migrations;
SELECT version, state FROM migrate_status(:'basic');
-- the rest applies
SELECT version, name FROM migrate_apply(:'basic');
TABLE schema_migrations;
SELECT to_regclass('public.user_posts') AS user_posts;

-- refused over applied versions, with what to do instead
SELECT * FROM migrate_baseline(:'basic', 2);
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT * FROM migrate_baseline(:'basic', 3);
-- a version not in the folder, and bad arguments
SELECT * FROM migrate_baseline(:'basic', 4);
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT * FROM migrate_baseline(:'basic', NULL);
SELECT * FROM migrate_baseline(NULL, 1);
SELECT * FROM migrate_baseline('/nonexistent/pg_migrate/folder', 1);

-- baselined migrations revert like applied ones: back to an empty schema
SELECT version, name FROM migrate_down(:'basic', NULL);
SELECT to_regclass('public.users') AS users;
TABLE schema_migrations;
-- the same on a database whose history has reverted rows: users made by
-- hand, baselined, the rest applied
\set f :basic '/1_users.up.sql'
\i :f
SELECT version, name FROM migrate_baseline(:'basic', 1);
SELECT version, name FROM migrate_apply(:'basic');
SELECT version, state FROM migrate_status(:'basic');

-- refused over a version applied below the baseline
SELECT version, name FROM migrate_down(:'basic', NULL);
SELECT version, name FROM migrate_apply(:'basic', 1);
SELECT * FROM migrate_baseline(:'basic', 3);
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT version, state FROM migrate_status(:'basic');
\c :orig
DROP DATABASE pgm_life_baseline;

-- refused over a failed version (migrate_run records failures), saying
-- what to do instead
CREATE DATABASE pgm_life_baseline;
\c pgm_life_baseline
CREATE EXTENSION pg_migrate;
SET client_min_messages = warning;
CALL migrate_run(:'fx' || '/failing');
RESET client_min_messages;
SELECT version, state FROM migrate_status(:'fx' || '/failing');
SELECT * FROM migrate_baseline(:'fx' || '/failing', 3);
\echo SQLSTATE :LAST_ERROR_SQLSTATE
\c :orig
DROP DATABASE pgm_life_baseline;
