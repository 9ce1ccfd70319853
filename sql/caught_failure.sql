-- A failed migrate_apply caught by an exception block leaves the session
-- free to apply again in the same transaction: the call no longer counts
-- as running once its subtransaction rolled back.
\getenv abs_srcdir PG_ABS_SRCDIR
\set fx :abs_srcdir '/test/fixtures'
\set orig :DBNAME
CREATE DATABASE pgm_caught;
\c pgm_caught
CREATE EXTENSION pg_migrate;

SELECT set_config('pgm.fx', :'fx', false) IS NOT NULL AS set;
BEGIN;
SET LOCAL pg_migrate.batch_limit = 3;
DO $$
BEGIN
    PERFORM * FROM migrate_apply(current_setting('pgm.fx') || '/batch_forever');
EXCEPTION WHEN OTHERS THEN
    RAISE NOTICE 'caught: %', SQLERRM;
END
$$;
RESET pg_migrate.batch_limit;
SELECT version, name FROM migrate_apply(:'fx' || '/batch_cte');
COMMIT;
SELECT version, state FROM migrate_status(:'fx' || '/batch_cte');

\c :orig
DROP DATABASE pgm_caught;
