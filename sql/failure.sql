-- A failing migration: the error keeps its SQLSTATE and message, names the
-- file, line and column, and nothing of the call persists.
\getenv abs_srcdir PG_ABS_SRCDIR
\set fx :abs_srcdir '/test/fixtures'
\set orig :DBNAME
CREATE DATABASE pgm_failure;
\c pgm_failure
CREATE EXTENSION pg_migrate;

SELECT * FROM migrate_apply(:'fx' || '/failing');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
-- nothing persisted: no tables, no history, no schema_migrations
SELECT to_regclass('public.users') AS users, to_regclass('public.orders') AS orders,
       to_regclass('public.schema_migrations') AS schema_migrations;
SELECT count(*) FROM pgmigrate.history;
SELECT version, state FROM migrate_status(:'fx' || '/failing');

-- inside an explicit transaction the caller's transaction is aborted
BEGIN;
SELECT 1 AS before;
SELECT * FROM migrate_apply(:'fx' || '/failing');
SELECT 1 AS after;
ROLLBACK;

-- the migrations before the broken one can be applied with a target
SELECT version, name FROM migrate_apply(:'fx' || '/failing', 2);
SELECT * FROM users;

\c :orig
DROP DATABASE pgm_failure;

-- a syntax error in any pending file stops the call before any SQL runs
CREATE DATABASE pgm_syntax;
\c pgm_syntax
CREATE EXTENSION pg_migrate;
SELECT * FROM migrate_apply(:'fx' || '/syntax');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT to_regclass('public.first_table') AS first_table;
SELECT version, state FROM migrate_status(:'fx' || '/syntax');

\c :orig
DROP DATABASE pgm_syntax;
