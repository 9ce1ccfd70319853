-- Batched data migrations (-- pg_migrate:batch) in the function path: every
-- batch runs in the caller's transaction until one changes no row; the next
-- migration runs after.  Every file shape other than one UPDATE, DELETE or
-- INSERT ... SELECT is refused before anything runs, and migrate_validate
-- reports it; a statement that never reaches zero rows stops at
-- pg_migrate.batch_limit.
\getenv abs_srcdir PG_ABS_SRCDIR
\set fx :abs_srcdir '/test/fixtures'
\set orig :DBNAME
CREATE DATABASE pgm_batch;
\c pgm_batch
CREATE EXTENSION pg_migrate;

-- refused shapes, nothing run
SELECT * FROM migrate_apply(:'fx' || '/batch_two');
SELECT * FROM migrate_apply(:'fx' || '/batch_ddl');
SELECT * FROM migrate_apply(:'fx' || '/batch_select');
SELECT * FROM migrate_apply(:'fx' || '/batch_values');
SELECT * FROM migrate_apply(:'fx' || '/batch_empty');
SELECT * FROM migrate_apply(:'fx' || '/batch_begin');
SELECT file, severity, problem FROM migrate_validate(:'fx' || '/batch_two');
SELECT file, severity, problem FROM migrate_validate(:'fx' || '/batch_select');
SELECT count(*) FROM pgmigrate.history;

-- never reaches zero rows: stops at the limit, naming the file and setting
SET pg_migrate.batch_limit = 5;
SELECT * FROM migrate_apply(:'fx' || '/batch_forever');
SELECT count(*) FROM pgmigrate.history;
RESET pg_migrate.batch_limit;
SET pg_migrate.batch_limit = 0;

-- 5,000 rows, 250 a batch: 20 batches and the one that changes nothing,
-- all in this call's one transaction (CRLF line ends, a comment before the
-- marker)
SELECT version, name FROM migrate_apply(:'fx' || '/batch_backfill');
SELECT count(*) AS statements, count(DISTINCT xact) AS transactions,
       sum(rows_seen) AS rows_changed, max(rows_seen) AS biggest_batch
FROM batch_xacts;
SELECT count(*) FILTER (WHERE email_lower IS NULL) AS left_over FROM users;
SELECT version, name, state, progress FROM migrate_status(:'fx' || '/batch_backfill');
TABLE schema_migrations;

\c :orig
DROP DATABASE pgm_batch;
CREATE DATABASE pgm_batch;
\c pgm_batch
CREATE EXTENSION pg_migrate;

-- INSERT ... SELECT with a CTE
SELECT version, name FROM migrate_apply(:'fx' || '/batch_cte');
SELECT count(*) FROM dst;

\c :orig
DROP DATABASE pgm_batch;
