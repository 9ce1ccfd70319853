-- migrate_apply(..., dry_run => true): the pending migrations run for real
-- and are rolled back; nothing persists.
\getenv abs_srcdir PG_ABS_SRCDIR
\set fx :abs_srcdir '/test/fixtures'
\set orig :DBNAME
CREATE DATABASE pgm_life_dry;
\c pgm_life_dry
CREATE EXTENSION pg_migrate;
\set basic :fx '/life_basic'

SELECT version, name, duration_ms >= 0 AS timed FROM migrate_apply(:'basic', dry_run => true);
-- nothing persisted: objects, history, golang-migrate's table
SELECT to_regclass('public.users') AS users, to_regclass('public.user_posts') AS user_posts,
       to_regclass('public.schema_migrations') AS schema_migrations;
SELECT count(*) FROM pgmigrate.history;
SELECT version, state FROM migrate_status(:'basic');

-- with a target, and after a real run: only what is pending
SELECT version, name FROM migrate_apply(:'basic', 1);
SELECT version, name FROM migrate_apply(:'basic', 2, dry_run => true);
SELECT version, name FROM migrate_apply(:'basic', dry_run => true);
TABLE schema_migrations;
SELECT version, state FROM pgmigrate.history ORDER BY id;
SELECT to_regclass('public.posts') AS posts;
-- dry_run NULL or false is a real run
SELECT version, name FROM migrate_apply(:'basic', 2, dry_run => NULL);
SELECT version, name FROM migrate_apply(:'basic', dry_run => false);
SELECT version, name FROM migrate_apply(:'basic', dry_run => true);

-- the migration lock stays held until the transaction ends, and a real run
-- in the same transaction after a dry run sees the same state
SELECT version, name FROM migrate_down(:'basic', NULL);
BEGIN;
SELECT version, name FROM migrate_apply(:'basic', dry_run => true);
SELECT count(*) AS advisory_locks FROM pg_locks
WHERE locktype = 'advisory' AND pid = pg_backend_pid() AND granted;
SELECT version, name FROM migrate_apply(:'basic');
COMMIT;
TABLE schema_migrations;

\c :orig
DROP DATABASE pgm_life_dry;

-- a failing migration: the same error as a real run
CREATE DATABASE pgm_life_dry;
\c pgm_life_dry
CREATE EXTENSION pg_migrate;
SELECT * FROM migrate_apply(:'fx' || '/failing', dry_run => true);
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT * FROM migrate_apply(:'fx' || '/failing');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT to_regclass('public.users') AS users, to_regclass('public.schema_migrations') AS schema_migrations;
SELECT count(*) FROM pgmigrate.history;
SELECT set_config('pgm.failing', :'fx' || '/failing', false) IS NOT NULL AS set;
-- caught in a PL/pgSQL block: the block goes on, nothing of the dry run left
DO $$
BEGIN
    PERFORM migrate_apply(current_setting('pgm.failing'), dry_run => true);
EXCEPTION WHEN others THEN
    RAISE NOTICE 'caught: %', SQLSTATE;
END
$$;
SELECT to_regclass('public.users') AS users;
SELECT version, name FROM migrate_apply(:'fx' || '/failing', 2);
\c :orig
DROP DATABASE pgm_life_dry;
