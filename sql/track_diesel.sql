-- diesel's __diesel_schema_migrations kept as diesel keeps it: the
-- version without its dashes, one row per migration.
\getenv abs_srcdir PG_ABS_SRCDIR
\getenv abs_builddir PG_ABS_BUILDDIR
\set scratch :abs_builddir '/results/scratch_track_diesel'
\setenv SCRATCH :scratch
\set orig :DBNAME
CREATE DATABASE pgm_track_diesel;
\c pgm_track_diesel
CREATE EXTENSION pg_migrate;
SELECT set_config('pgm.scratch', :'scratch', false) IS NOT NULL AS scratch_set;
\set try_sql :abs_srcdir '/test/try.sql'
\o /dev/null
\i :try_sql
\set helpers :abs_srcdir '/test/track_helpers.sql'
\i :helpers
\o
\! rm -rf "$SCRATCH" && mkdir -p "$SCRATCH/m"
\set dir :scratch '/m'
\! mkdir -p "$SCRATCH/m/00000000000000_diesel_initial_setup" "$SCRATCH/m/2024-01-01-000001_a" "$SCRATCH/m/2024-01-01-000002_b"
\! printf 'CREATE TABLE ds_init (id int);\n' > "$SCRATCH/m/00000000000000_diesel_initial_setup/up.sql"
\! printf 'CREATE TABLE ds_a (id int);\n' > "$SCRATCH/m/2024-01-01-000001_a/up.sql"
\! printf 'CREATE TABLE ds_b (id int);\n' > "$SCRATCH/m/2024-01-01-000002_b/up.sql"
CREATE TABLE IF NOT EXISTS __diesel_schema_migrations (
       version VARCHAR(50) PRIMARY KEY NOT NULL,
       run_on TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP
);
INSERT INTO __diesel_schema_migrations (version) VALUES ('00000000000000');
CREATE TABLE ds_init (id int);
SELECT version, state FROM migrate_status(:'dir') ORDER BY version;
SELECT version FROM migrate_apply(:'dir');
SELECT version, state, applied_by FROM pgmigrate.history ORDER BY id;
SELECT version, run_on IS NOT NULL AS run FROM __diesel_schema_migrations ORDER BY version;
DROP TABLE __diesel_schema_migrations;
CREATE TABLE __diesel_schema_migrations (version text, applied boolean);
\x on
SELECT * FROM try(format('SELECT migrate_apply(%L)', :'dir'));
\x off
\c :orig
DROP DATABASE pgm_track_diesel;
