-- sqlx folders: <v>_<desc>.sql (irreversible) beside .up.sql/.down.sql
-- pairs, "-- no-transaction" as the first line.
\getenv abs_srcdir PG_ABS_SRCDIR
\getenv abs_builddir PG_ABS_BUILDDIR
\set fx :abs_srcdir '/test/fixtures'
\set dir :fx '/format_sqlx'
\set scratch :abs_builddir '/results/scratch_format_sqlx'
\setenv SCRATCH :scratch
\set orig :DBNAME
CREATE DATABASE pgm_format_sqlx;
\c pgm_format_sqlx
CREATE EXTENSION pg_migrate;
SELECT set_config('pgm.scratch', :'scratch', false) IS NOT NULL AS scratch_set;
\set try_sql :abs_srcdir '/test/try.sql'
\i :try_sql
\! rm -rf "$SCRATCH" && mkdir -p "$SCRATCH"

\x on
-- bad inputs: a version that is not a number, two files with one version
\! mkdir "$SCRATCH/bad" && echo 'SELECT 1;' > "$SCRATCH/bad/1_a.sql" && echo 'SELECT 1;' > "$SCRATCH/bad/x1_b.sql"
\x on
SELECT * FROM try(format('SELECT migrate_apply(%L)', :'scratch' || '/bad'));
\! mkdir "$SCRATCH/dup" && echo 'SELECT 1;' > "$SCRATCH/dup/1_a.sql" && echo 'SELECT 1;' > "$SCRATCH/dup/1_b.up.sql"
SELECT * FROM try(format('SELECT migrate_apply(%L)', :'scratch' || '/dup'));
\x off

-- files that fit sqlx only (a lone <v>_<desc>.sql) make the folder sqlx's
SELECT version, name, state FROM migrate_status(:'dir') ORDER BY version;
SELECT version, name FROM migrate_apply(:'dir', target => 20240101000002);
SELECT email, sqlx_credit(id, 5) AS balance, note FROM sqlx_accounts ORDER BY id;
-- the down file did not run; the version text is kept
SELECT version, name, state, version_text FROM pgmigrate.history ORDER BY id;
-- "-- no-transaction" (behind a byte order mark) is read: migrate_apply
-- refuses the file and says where the marker is
\x on
SELECT * FROM try(format('SELECT migrate_apply(%L)', :'dir'));
SELECT file, version, severity, problem FROM migrate_validate(:'dir');
\x off
-- a marker that is not on the first line is sqlx's too: not a marker
\! mkdir "$SCRATCH/late" && printf 'SELECT 1;\n-- no-transaction\nCREATE TABLE late_marker (a int);\n' > "$SCRATCH/late/99999999999999_late.sql"
SELECT version, name FROM migrate_apply(:'scratch' || '/late', ignore_missing => true);
SELECT to_regclass('late_marker') AS late_marker;
\c :orig
DROP DATABASE pgm_format_sqlx;
