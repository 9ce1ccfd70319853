-- Flyway folders: V<version>__<description>.sql, U<version>__ undo files,
-- versions with leading zeros kept as written.
\getenv abs_srcdir PG_ABS_SRCDIR
\getenv abs_builddir PG_ABS_BUILDDIR
\set fx :abs_srcdir '/test/fixtures'
\set dir :fx '/format_flyway'
\set scratch :abs_builddir '/results/scratch_format_flyway'
\setenv SCRATCH :scratch
\set orig :DBNAME
CREATE DATABASE pgm_format_flyway;
\c pgm_format_flyway
CREATE EXTENSION pg_migrate;
SELECT set_config('pgm.scratch', :'scratch', false) IS NOT NULL AS scratch_set;
\set try_sql :abs_srcdir '/test/try.sql'
\i :try_sql
\! rm -rf "$SCRATCH" && mkdir -p "$SCRATCH"

\x on
-- bad inputs: no "__" (repeatable migrations: flyway_repeatable); a dotted version is a
-- migration (flyway_versions tests them; dry run: the history stays empty)
\! mkdir "$SCRATCH/nosep" && echo 'SELECT 1;' > "$SCRATCH/nosep/V1__ok.sql" && echo 'SELECT 1;' > "$SCRATCH/nosep/V2_missing_separator.sql"
SELECT * FROM try(format('SELECT migrate_apply(%L)', :'scratch' || '/nosep'));
\! mkdir "$SCRATCH/dotted" && echo 'SELECT 1;' > "$SCRATCH/dotted/V1__ok.sql" && echo 'SELECT 1;' > "$SCRATCH/dotted/V1.1__minor.sql"
SELECT * FROM try(format('SELECT migrate_apply(%L, dry_run => true)', :'scratch' || '/dotted'));
-- V1 and V1.0 are one version to Flyway
\! mkdir "$SCRATCH/same" && echo 'SELECT 1;' > "$SCRATCH/same/V1__a.sql" && echo 'SELECT 1;' > "$SCRATCH/same/V1.0__b.sql"
SELECT * FROM try(format('SELECT migrate_apply(%L)', :'scratch' || '/same'));
\x off
\x off

SELECT version, name, state FROM migrate_status(:'dir') ORDER BY version;
SELECT version, name FROM migrate_apply(:'dir');
SELECT id, flyway_greet(name) AS greeting, email FROM flyway_customers ORDER BY id;
SELECT version, state, version_text FROM pgmigrate.history ORDER BY id;
\c :orig
DROP DATABASE pgm_format_flyway;
