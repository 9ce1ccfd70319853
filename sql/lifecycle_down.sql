-- migrate_down: the newest applied migrations reverted with their down
-- files, newest first, all or nothing; history and schema_migrations as
-- golang-migrate's down leaves them.
\getenv abs_srcdir PG_ABS_SRCDIR
\set fx :abs_srcdir '/test/fixtures'
\set orig :DBNAME
CREATE DATABASE pgm_life_down;
\c pgm_life_down
CREATE EXTENSION pg_migrate;
\set basic :fx '/life_basic'

-- the user objects of schema public (not the extension's, not the tool's
-- table): relations, columns, indexes, constraints, functions, types, triggers
CREATE FUNCTION pg_temp.fingerprint() RETURNS text LANGUAGE sql AS $$
SELECT md5(coalesce(string_agg(x, E'\n' ORDER BY x), '')) FROM (
    SELECT format('rel %s %s', c.relname, c.relkind)
    FROM pg_class c
    WHERE c.relnamespace = 'public'::regnamespace AND c.relname NOT LIKE 'schema\_migrations%'
      AND NOT EXISTS (SELECT FROM pg_depend d WHERE d.objid = c.oid AND d.deptype = 'e')
    UNION ALL
    SELECT format('col %s.%s %s %s', c.relname, a.attname, format_type(a.atttypid, a.atttypmod), a.attnotnull)
    FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
    WHERE c.relnamespace = 'public'::regnamespace AND c.relname NOT LIKE 'schema\_migrations%'
      AND a.attnum > 0 AND NOT a.attisdropped
      AND NOT EXISTS (SELECT FROM pg_depend d WHERE d.objid = c.oid AND d.deptype = 'e')
    UNION ALL
    SELECT format('con %s %s', conname, pg_get_constraintdef(oid)) FROM pg_constraint
    WHERE connamespace = 'public'::regnamespace AND conname NOT LIKE 'schema\_migrations%'
    UNION ALL
    SELECT format('fn %s %s', p.oid::regprocedure, md5(p.prosrc)) FROM pg_proc p
    WHERE p.pronamespace = 'public'::regnamespace
      AND NOT EXISTS (SELECT FROM pg_depend d WHERE d.objid = p.oid AND d.deptype = 'e')
    UNION ALL
    SELECT format('type %s %s', t.typname, t.typtype) FROM pg_type t
    WHERE t.typnamespace = 'public'::regnamespace AND t.typtype IN ('e', 'd')
    UNION ALL
    SELECT format('trigger %s', tgname) FROM pg_trigger WHERE NOT tgisinternal
) s(x)
$$;
SELECT pg_temp.fingerprint() AS fp_empty \gset

-- nothing applied: nothing to revert, whatever the steps
SELECT * FROM migrate_down(:'basic');
SELECT * FROM migrate_down(:'basic', NULL);
SELECT to_regclass('public.schema_migrations') AS schema_migrations;

SELECT version, name FROM migrate_apply(:'basic');
SELECT pg_temp.fingerprint() AS fp_full \gset
SELECT pg_temp.fingerprint() <> :'fp_empty' AS fingerprint_sees_objects;
TABLE schema_migrations;

-- down 2, then the default 1
SELECT version, name, duration_ms >= 0 AS timed FROM migrate_down(:'basic', 2);
TABLE schema_migrations;
SELECT version, state FROM migrate_status(:'basic');
SELECT to_regclass('public.posts') AS posts, to_regclass('public.users') AS users;
SELECT version, name FROM migrate_down(:'basic');
TABLE schema_migrations;
SELECT pg_temp.fingerprint() = :'fp_empty' AS back_to_empty;
SELECT version, state FROM migrate_status(:'basic');

-- re-applied after the reset: the same objects
SELECT version, name FROM migrate_apply(:'basic');
SELECT pg_temp.fingerprint() = :'fp_full' AS same_as_first_apply;
TABLE schema_migrations;

-- NULL: every applied migration (a reset)
SELECT version, name FROM migrate_down(:'basic', NULL);
SELECT pg_temp.fingerprint() = :'fp_empty' AS back_to_empty;
TABLE schema_migrations;
SELECT version, state, file, duration_ms IS NOT NULL AS timed, applied_by = current_user AS by_caller
FROM pgmigrate.history ORDER BY id;

-- re-applied after a full reset; more steps than applied revert them all
SELECT version, name FROM migrate_apply(:'basic');
SELECT pg_temp.fingerprint() = :'fp_full' AS same_as_first_apply;
SELECT version, name FROM migrate_down(:'basic', 0);
SELECT version, name FROM migrate_down(:'basic', 10);
SELECT pg_temp.fingerprint() = :'fp_empty' AS back_to_empty;

-- bad arguments
SELECT * FROM migrate_down(:'basic', -1);
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT * FROM migrate_down(NULL);
SELECT * FROM migrate_down('/nonexistent/pg_migrate/folder');

-- a down migration sees golang-migrate's in-flight mark: (previous, dirty),
-- and (-1, dirty) for the first migration (golang-migrate's NilVersion)
\set seen :fx '/life_seen'
SELECT version, name FROM migrate_apply(:'seen');
SELECT version, name FROM migrate_down(:'seen', 2);
TABLE seen;
TABLE schema_migrations;
SELECT version, name FROM migrate_down(:'seen');
TABLE schema_migrations;

-- a missing down file: refused before anything runs, naming it
\set nodown :fx '/life_nodown'
SELECT version, name FROM migrate_apply(:'nodown');
SELECT count(*) AS history_rows FROM pgmigrate.history \gset
\set VERBOSITY sqlstate
SELECT * FROM migrate_down(:'nodown');
\set VERBOSITY default
SELECT * FROM migrate_down(:'nodown');
SELECT * FROM migrate_down(:'nodown', NULL);
SELECT count(*) = :history_rows AS history_unchanged FROM pgmigrate.history;
SELECT to_regclass('public.nd_c') AS nd_c;
TABLE schema_migrations;

\c :orig
DROP DATABASE pgm_life_down;

-- a failing down file: the whole call rolls back, the error names the file
-- and line; the down migration that ran before it is undone too
CREATE DATABASE pgm_life_down;
\c pgm_life_down
CREATE EXTENSION pg_migrate;
\set faildown :fx '/life_faildown'
SELECT version, name FROM migrate_apply(:'faildown');
SELECT version, name FROM migrate_down(:'faildown', 2);
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT to_regclass('public.fd_a') AS fd_a, to_regclass('public.fd_b') AS fd_b;
TABLE schema_migrations;
SELECT version, state FROM pgmigrate.history ORDER BY id;
-- the first down file alone works
SELECT version, name FROM migrate_down(:'faildown', 1);
TABLE schema_migrations;
SELECT version, state FROM migrate_status(:'faildown');

-- a dirty table left by golang-migrate: refused, as golang-migrate's down does
UPDATE schema_migrations SET dirty = true;
SELECT version, name FROM migrate_down(:'faildown');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
-- the table says a version the folder does not have
UPDATE schema_migrations SET version = 7, dirty = false;
SELECT version, name FROM migrate_down(:'faildown');
\echo SQLSTATE :LAST_ERROR_SQLSTATE

\c :orig
DROP DATABASE pgm_life_down;

-- a syntax error in any down file stops the call before any down runs
CREATE DATABASE pgm_life_down;
\c pgm_life_down
CREATE EXTENSION pg_migrate;
\set syntaxdown :fx '/life_syntaxdown'
SELECT version, name FROM migrate_apply(:'syntaxdown');
SELECT version, name FROM migrate_down(:'syntaxdown', NULL);
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT to_regclass('public.sd_a') AS sd_a, to_regclass('public.sd_b') AS sd_b;
SELECT version, state FROM migrate_status(:'syntaxdown');
\c :orig
DROP DATABASE pgm_life_down;
