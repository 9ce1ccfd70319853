-- Transaction control inside migration files (issue 9, defects 3 and 4).
-- BEGIN, START TRANSACTION, COMMIT and END are no-ops with a NOTICE naming
-- the line (one pair around the whole file quietly); what would change the
-- outcome is refused naming the line, before anything runs.  A new enum
-- value used by a later migration of the same migrate_apply call: the hint
-- says why and points to migrate_run.
\getenv abs_srcdir PG_ABS_SRCDIR
\set fx :abs_srcdir '/test/fixtures'
\set orig :DBNAME
CREATE DATABASE pgm_noops;
\c pgm_noops
CREATE EXTENSION pg_migrate;
\set VERBOSITY default

-- every shape that would change the outcome is refused, naming the line
SELECT * FROM migrate_apply(:'fx' || '/refuse_rollback_to');
SELECT * FROM migrate_apply(:'fx' || '/refuse_release');
SELECT * FROM migrate_apply(:'fx' || '/refuse_abort');
SELECT * FROM migrate_apply(:'fx' || '/refuse_prepare');
SELECT * FROM migrate_apply(:'fx' || '/refuse_commit_prepared');
SELECT * FROM migrate_apply(:'fx' || '/refuse_rollback_prepared');
SELECT * FROM migrate_apply(:'fx' || '/refuse_commit_chain');
SELECT * FROM migrate_apply(:'fx' || '/refuse_rollback_chain');
SELECT * FROM migrate_apply(:'fx' || '/refuse_read_only');
SELECT * FROM migrate_apply(:'fx' || '/refuse_begin_iso_late');
-- their SQLSTATEs
CREATE FUNCTION pg_temp.sqlstate_of(dir text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
  PERFORM migrate_apply(dir);
  RETURN 'applied';
EXCEPTION WHEN OTHERS THEN
  RETURN SQLSTATE;
END $$;
-- their SQLSTATEs, one call per statement
SELECT pg_temp.sqlstate_of(:'fx' || '/refuse_rollback_to');
SELECT pg_temp.sqlstate_of(:'fx' || '/refuse_release');
SELECT pg_temp.sqlstate_of(:'fx' || '/refuse_abort');
SELECT pg_temp.sqlstate_of(:'fx' || '/refuse_prepare');
SELECT pg_temp.sqlstate_of(:'fx' || '/refuse_commit_prepared');
SELECT pg_temp.sqlstate_of(:'fx' || '/refuse_rollback_prepared');
SELECT pg_temp.sqlstate_of(:'fx' || '/refuse_commit_chain');
SELECT pg_temp.sqlstate_of(:'fx' || '/refuse_rollback_chain');
SELECT pg_temp.sqlstate_of(:'fx' || '/refuse_read_only');
SELECT pg_temp.sqlstate_of(:'fx' || '/refuse_begin_iso_late');
SELECT to_regclass('rx') AS rx, to_regclass('ry') AS ry;
-- validate lists them as problems too, with the line
SELECT file, severity, problem FROM migrate_validate(:'fx' || '/refuse_commit_chain');

-- validate and lint find nothing wrong with the no-ops
SELECT * FROM migrate_validate(:'fx' || '/noop_pairs') WHERE file <> '4_fails.up.sql';
SELECT rule, line, message FROM migrate_lint(:'fx' || '/noop_pairs')
  WHERE rule = 'transaction-control';

-- pairs, statements before the first BEGIN, END: one unit, NOTICEs
SELECT version, name FROM migrate_apply(:'fx' || '/noop_pairs', target => 3);
TABLE np0;
TABLE np1;
TABLE np2;
TABLE np3;
-- a failure after a COMMIT rolls back the whole migration (np4 is not kept)
SELECT version, name FROM migrate_apply(:'fx' || '/noop_pairs');
SELECT to_regclass('np4') AS np4;
SELECT version FROM pgmigrate.history ORDER BY version;

-- the enum cases, in a database of their own (the versions overlap)
\c :orig
DROP DATABASE pgm_noops;
CREATE DATABASE pgm_noops;
\c pgm_noops
CREATE EXTENSION pg_migrate;
CREATE FUNCTION pg_temp.sqlstate_of(dir text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
  PERFORM migrate_apply(dir);
  RETURN 'applied';
EXCEPTION WHEN OTHERS THEN
  RETURN SQLSTATE;
END $$;
-- a new enum value used by a later migration of the same call
SELECT version, name FROM migrate_apply(:'fx' || '/enum_across', target => 1);
SELECT version, name FROM migrate_apply(:'fx' || '/enum_across');
SELECT pg_temp.sqlstate_of(:'fx' || '/enum_across');
-- applied one call per migration (what migrate_run does), they work
SELECT version, name FROM migrate_apply(:'fx' || '/enum_across', target => 2);
SELECT version, name FROM migrate_apply(:'fx' || '/enum_across');
TABLE feelings;

-- used in the same migration that adds it
\c :orig
DROP DATABASE pgm_noops;
CREATE DATABASE pgm_noops;
\c pgm_noops
CREATE EXTENSION pg_migrate;
SELECT version, name FROM migrate_apply(:'fx' || '/enum_here', target => 1);
SELECT version, name FROM migrate_apply(:'fx' || '/enum_here');

\c :orig
DROP DATABASE pgm_noops;
