-- Flyway's repeatable migrations (R__<description>.sql): applied after the
-- versioned ones, in order of description, again whenever their checksum
-- changes; rows with version NULL in pgmigrate.history (-1) and in
-- flyway_schema_history; adoption of Flyway's rows; failures; bad inputs.
\getenv abs_srcdir PG_ABS_SRCDIR
\getenv abs_builddir PG_ABS_BUILDDIR
\set scratch :abs_builddir '/results/scratch_flyway_repeatable'
\setenv SCRATCH :scratch
\set orig :DBNAME
CREATE DATABASE pgm_flyway_repeatable;
\c pgm_flyway_repeatable
CREATE EXTENSION pg_migrate;
SELECT set_config('pgm.scratch', :'scratch', false) IS NOT NULL AS scratch_set;
\set try_sql :abs_srcdir '/test/try.sql'
\o /dev/null
\i :try_sql
\set helpers :abs_srcdir '/test/track_helpers.sql'
\set flyway_helpers :abs_srcdir '/test/flyway_helpers.sql'
\i :helpers
\o
\! rm -rf "$SCRATCH" && mkdir -p "$SCRATCH/m"
\set dir :scratch '/m'
\i :flyway_helpers
SELECT set_config('pgm.dir', :'dir', false) IS NOT NULL AS dir_set;

-- two versioned files, and two repeatable ones: a view, and a function with
-- dollar quotes (a BOM, CRLF line ends and a comment before it); "_" in a
-- description is a space, and "customer view" sorts before "greet"
\! printf 'CREATE TABLE customers (id int PRIMARY KEY, name text);\n' > "$SCRATCH/m/V1__Create_customers.sql"
\! printf 'INSERT INTO customers VALUES (1, $$ann$$), (2, $$bob$$);\n' > "$SCRATCH/m/V2__Seed.sql"
\! printf 'CREATE OR REPLACE VIEW customer_names AS SELECT name FROM customers;\n' > "$SCRATCH/m/R__customer_view.sql"
\! printf '\357\273\277-- greets a customer\r\nCREATE OR REPLACE FUNCTION greet(n text) RETURNS text\r\nLANGUAGE sql AS $fn$ SELECT $q$hello $q$ || n $fn$;\r\n' > "$SCRATCH/m/R__greet.sql"

-- pending: version NULL, after the versioned ones
SELECT version, name, state FROM migrate_status(:'dir');
SELECT file, version, severity, problem FROM migrate_validate(:'dir');
SELECT version, name FROM migrate_apply(:'dir');
SELECT greet(name) FROM customer_names ORDER BY 1;
SELECT version, name, state FROM migrate_status(:'dir');
SELECT version, version_text, name, file, state, checksum IS NOT NULL AS has_checksum
FROM pgmigrate.history ORDER BY id;
SELECT installed_rank, version, description, type, script,
       checksum = flyway_sum(script) AS checksum_is_flyways, success
FROM flyway_schema_history ORDER BY installed_rank;

-- nothing changed: nothing runs
SELECT count(*) AS applied FROM migrate_apply(:'dir');

-- a changed repeatable file is pending again (Flyway's "outdated"), never
-- "modified": it runs again, after a new versioned file, and only it
\! printf 'CREATE OR REPLACE VIEW customer_names AS SELECT name FROM customers WHERE id > 0;\n' > "$SCRATCH/m/R__customer_view.sql"
\! printf 'INSERT INTO customers VALUES (3, $$cy$$);\n' > "$SCRATCH/m/V3__More.sql"
SELECT version, name, state FROM migrate_status(:'dir');
SELECT file, version, severity, problem FROM migrate_validate(:'dir');
SELECT version, name FROM migrate_apply(:'dir');
SELECT pg_get_viewdef('customer_names'::regclass) LIKE '%WHERE%' AS new_view;
SELECT installed_rank, version, description, script,
       checksum = flyway_sum(script) AS checksum_is_flyways
FROM flyway_schema_history ORDER BY installed_rank;
SELECT count(*) FILTER (WHERE name = 'customer_view') AS view_runs FROM pgmigrate.history;

-- a repeatable runs whatever the target, as in Flyway
\! printf 'CREATE OR REPLACE VIEW customer_names AS SELECT name FROM customers WHERE id > 1;\n' > "$SCRATCH/m/R__customer_view.sql"
SELECT version, name FROM migrate_apply(:'dir', target => 1);
-- a dry run shows it, then rolls it back
\! printf 'CREATE OR REPLACE VIEW customer_names AS SELECT upper(name) AS name FROM customers;\n' > "$SCRATCH/m/R__customer_view.sql"
SELECT version, name FROM migrate_apply(:'dir', dry_run => true);
SELECT pg_get_viewdef('customer_names'::regclass) LIKE '%upper%' AS dry_run_kept;
SELECT version, name, state FROM migrate_status(:'dir') WHERE version IS NULL;

-- a failing repeatable: migrate_apply is all-or-nothing; CALL migrate_run
-- records it failed, keeps what came before, and runs it again once fixed
\! printf 'CREATE OR REPLACE VIEW customer_names AS SELECT name FROM customers;\n' > "$SCRATCH/m/R__customer_view.sql"
\! printf 'INSERT INTO customers VALUES (4, $$di$$);\n' > "$SCRATCH/m/V4__Even_more.sql"
\! printf '\nCREATE OR REPLACE VIEW broken AS SELECT nope FROM customers;\n' > "$SCRATCH/m/R__zz_broken.sql"
\x on
SELECT * FROM try(format('SELECT migrate_apply(%L)', :'dir'));
\x off
SELECT max(id) AS customers_before FROM customers;
-- (the NOTICEs show timings)
SET client_min_messages = warning;
\set VERBOSITY terse
CALL migrate_run(:'dir');
\set VERBOSITY default
RESET client_min_messages;
SELECT max(id) AS customers_after FROM customers;
SELECT version, name, state FROM migrate_status(:'dir') WHERE version IS NULL OR version = 4;
SELECT version, name, state, error IS NOT NULL AS has_error FROM pgmigrate.history
WHERE id > (SELECT max(id) FROM pgmigrate.history WHERE version = 3) ORDER BY id;
SELECT count(*) AS flyway_rows_for_broken FROM flyway_schema_history WHERE description = 'zz broken';
\! printf 'CREATE OR REPLACE VIEW broken AS SELECT id FROM customers;\n' > "$SCRATCH/m/R__zz_broken.sql"
SET client_min_messages = warning;
CALL migrate_run(:'dir');
RESET client_min_messages;
SELECT version, name, state FROM migrate_status(:'dir') WHERE version IS NULL;

-- a repeatable file that is gone is shown missing, and refuses nothing
\! rm "$SCRATCH/m/R__zz_broken.sql"
SELECT version, name, state FROM migrate_status(:'dir') WHERE version IS NULL;
SELECT file, version, severity, problem FROM migrate_validate(:'dir');
SELECT count(*) AS applied FROM migrate_apply(:'dir');

\c :orig
CREATE DATABASE pgm_flyway_repeatable_adopt;
\c pgm_flyway_repeatable_adopt
CREATE EXTENSION pg_migrate;
SELECT set_config('pgm.scratch', :'scratch', false) IS NOT NULL AS scratch_set;
\o /dev/null
\i :try_sql
\o
-- bad inputs: what runs outside a transaction, a batch, two files with
-- one description, a name with no "__"
\! mkdir "$SCRATCH/notx" && printf 'CREATE TABLE t (id int);\n' > "$SCRATCH/notx/V1__t.sql" && printf 'SELECT 1;\nCREATE INDEX CONCURRENTLY t_idx ON t (id);\n' > "$SCRATCH/notx/R__index.sql"
\! mkdir "$SCRATCH/batch" && printf 'CREATE TABLE t (id int);\n' > "$SCRATCH/batch/V1__t.sql" && printf -- '-- pg_migrate:batch\nDELETE FROM t WHERE id IN (SELECT id FROM t LIMIT 10);\n' > "$SCRATCH/batch/R__purge.sql"
\! mkdir "$SCRATCH/dup" && echo 'SELECT 1;' > "$SCRATCH/dup/R__a_b.sql" && echo 'SELECT 2;' > "$SCRATCH/dup/R__a b.sql"
\! mkdir "$SCRATCH/nosep" && echo 'SELECT 1;' > "$SCRATCH/nosep/R_views.sql"
\! mkdir "$SCRATCH/versioned" && echo 'SELECT 1;' > "$SCRATCH/versioned/R1__views.sql"
\x on
SELECT * FROM try(format('SELECT migrate_apply(%L)', :'scratch' || '/notx'));
SELECT * FROM try(format('SELECT migrate_apply(%L)', :'scratch' || '/batch'));
SELECT * FROM try(format('SELECT migrate_apply(%L)', :'scratch' || '/dup'));
SELECT * FROM try(format('SELECT migrate_apply(%L)', :'scratch' || '/nosep'));
SELECT * FROM try(format('SELECT migrate_apply(%L)', :'scratch' || '/versioned'));
\x off
\set VERBOSITY terse
CALL migrate_run(:'scratch' || '/notx');
\set VERBOSITY default
SELECT file, version, severity, problem FROM migrate_validate(:'scratch' || '/notx');
SELECT file, version, severity, problem FROM migrate_validate(:'scratch' || '/dup');
SELECT to_regclass('t') IS NULL AS nothing_applied, count(*) AS history_rows FROM pgmigrate.history;


-- adoption: a database Flyway migrated, with its repeatable's run
\o /dev/null
\i :helpers
\o
\i :flyway_helpers
\! rm -rf "$SCRATCH/a" && mkdir "$SCRATCH/a"
\! printf 'CREATE TABLE things (id int);\n' > "$SCRATCH/a/V1__Things.sql"
\! printf 'CREATE OR REPLACE VIEW thing_ids AS SELECT id FROM things;\n' > "$SCRATCH/a/R__Thing_ids.sql"
\! printf 'CREATE OR REPLACE VIEW thing_count AS SELECT count(*) FROM things;\n' > "$SCRATCH/a/R__Thing_count.sql"
\! printf 'CREATE OR REPLACE VIEW thing_max AS SELECT max(id) FROM things;\n' > "$SCRATCH/a/R__Thing_max.sql"
\set adir :scratch '/a'
SELECT set_config('pgm.dir', :'adir', false) IS NOT NULL AS dir_set;
CALL create_flyway_schema_history();
CREATE TABLE things (id int);
CREATE VIEW thing_ids AS SELECT id FROM things;
CREATE VIEW thing_count AS SELECT 0::bigint AS count;
-- Flyway ran Thing ids as it is now, Thing count as it was before, and
-- Thing max as it is now, then a run of Thing max with no checksum (which
-- matches no file, as in Flyway)
INSERT INTO flyway_schema_history (installed_rank, version, description, type, script, checksum, installed_by, execution_time, success)
VALUES (1, '1', 'Things', 'SQL', 'V1__Things.sql', flyway_sum('V1__Things.sql'), 'flyway', 5, true),
       (2, NULL, 'Thing count', 'SQL', 'R__Thing_count.sql', 12345, 'flyway', 1, true),
       (3, NULL, 'Thing ids', 'SQL', 'R__Thing_ids.sql', flyway_sum('R__Thing_ids.sql'), 'flyway', 1, true),
       (4, NULL, 'Thing max', 'SQL', 'R__Thing_max.sql', flyway_sum('R__Thing_max.sql'), 'flyway', 1, true),
       (5, NULL, 'Thing max', 'SQL', 'R__Thing_max.sql', NULL, 'flyway', 1, true);
SELECT version, name, state FROM migrate_status(:'adir');
SELECT version, name FROM migrate_apply(:'adir');
SELECT version, name, state, applied_by FROM pgmigrate.history ORDER BY id;
SELECT installed_rank, version, description, checksum = flyway_sum(script) AS checksum_is_flyways
FROM flyway_schema_history ORDER BY installed_rank;
SELECT * FROM thing_count;
-- Flyway's table dropped: written again, repeatables included
DROP TABLE flyway_schema_history;
\! printf 'CREATE TABLE more_things (id int);\n' > "$SCRATCH/a/V2__More.sql"
SELECT version, name FROM migrate_apply(:'adir');
SELECT installed_rank, version, description, type, checksum = flyway_sum(script) AS checksum_is_flyways
FROM flyway_schema_history ORDER BY installed_rank;
-- 200,000 runs of other repeatable migrations in Flyway's table: read in
-- O(n log n) (a quadratic reading would not finish here)
INSERT INTO flyway_schema_history (installed_rank, version, description, type, script, checksum, installed_by, execution_time, success)
SELECT 100 + g, NULL, 'other ' || g, 'SQL', 'R__other_' || g || '.sql', g, 'flyway', 1, true
FROM generate_series(1, 200000) g;
SELECT version, name, state FROM migrate_status(:'adir');

\c :orig
DROP DATABASE pgm_flyway_repeatable_adopt;
DROP DATABASE pgm_flyway_repeatable;
