-- Which tool's folder a folder is: detected from its files, or forced
-- with pg_migrate.format; mixed folders and files that do not fit a
-- forced format are refused, naming the files.
\getenv abs_srcdir PG_ABS_SRCDIR
\getenv abs_builddir PG_ABS_BUILDDIR
\set fx :abs_srcdir '/test/fixtures'
\set scratch :abs_builddir '/results/scratch_format_detect'
\setenv SCRATCH :scratch
\set orig :DBNAME
CREATE DATABASE pgm_format_detect;
\c pgm_format_detect
CREATE EXTENSION pg_migrate;
SELECT set_config('pgm.scratch', :'scratch', false) IS NOT NULL AS scratch_set;
\set try_sql :abs_srcdir '/test/try.sql'
\i :try_sql
\setenv FX :fx
\! rm -rf "$SCRATCH" && mkdir -p "$SCRATCH" && cp -R "$FX/format_goose" "$FX/format_diesel" "$FX/format_dbmate" "$FX/format_flyway" "$SCRATCH/"

-- the setting takes the tools' names, case ignored, and nothing else
SET pg_migrate.format = 'Goose';
SHOW pg_migrate.format;
SET pg_migrate.format = 'encore';
SET pg_migrate.format = 'liquibase';
RESET pg_migrate.format;

\x on
-- a folder that mixes formats: the odd files are named
\! mkdir "$SCRATCH/mixed" && printf -- '-- +goose Up\nSELECT 1;\n' > "$SCRATCH/mixed/1_a.sql" && printf -- '-- +goose Up\nSELECT 1;\n' > "$SCRATCH/mixed/2_b.sql" && printf -- '-- migrate:up\nSELECT 1;\n-- migrate:down\n' > "$SCRATCH/mixed/3_c.sql" && echo 'SELECT 1;' > "$SCRATCH/mixed/4_d.up.sql"
SELECT * FROM try(format('SELECT migrate_apply(%L)', :'scratch' || '/mixed'));
-- golang-migrate files beside diesel folders
\! mkdir -p "$SCRATCH/mixed2/2024-01-01-000001_a" && echo 'SELECT 1;' > "$SCRATCH/mixed2/2024-01-01-000001_a/up.sql" && echo 'SELECT 1;' > "$SCRATCH/mixed2/5_e.up.sql"
SELECT * FROM try(format('SELECT migrate_apply(%L)', :'scratch' || '/mixed2'));
-- Flyway names beside golang-migrate ones
\! mkdir "$SCRATCH/mixed3" && echo 'SELECT 1;' > "$SCRATCH/mixed3/V1__a.sql" && echo 'SELECT 1;' > "$SCRATCH/mixed3/2_b.up.sql" && echo 'SELECT 1;' > "$SCRATCH/mixed3/3_c.up.sql"
SELECT * FROM try(format('SELECT migrate_apply(%L)', :'scratch' || '/mixed3'));

-- a forced format the files do not fit: named, before anything runs
SET pg_migrate.format = 'sqlx';
SELECT * FROM try(format('SELECT migrate_apply(%L)', :'scratch' || '/format_goose'));
SET pg_migrate.format = 'golang-migrate';
SELECT * FROM try(format('SELECT migrate_apply(%L)', :'scratch' || '/format_diesel'));
SET pg_migrate.format = 'drizzle';
SELECT * FROM try(format('SELECT migrate_apply(%L)', :'scratch' || '/format_dbmate'));
SET pg_migrate.format = 'goose';
SELECT * FROM try(format('SELECT migrate_apply(%L)', :'scratch' || '/format_dbmate'));
\x off
SELECT count(*) AS history_rows FROM pgmigrate.history;

-- forced to the folder's own format: read as detected
SET pg_migrate.format = 'flyway';
SELECT version, name, state FROM migrate_status(:'scratch' || '/format_flyway') ORDER BY version;
RESET pg_migrate.format;

-- .up.sql/.down.sql pairs alone fit golang-migrate and sqlx: golang-migrate
-- unless the tracking side says otherwise; a folder with no migration
-- file at all is golang-migrate's too
\! mkdir "$SCRATCH/pairs" && echo 'CREATE TABLE pairs (a int);' > "$SCRATCH/pairs/1_pairs.up.sql" && echo 'DROP TABLE pairs;' > "$SCRATCH/pairs/1_pairs.down.sql"
SELECT version, name FROM migrate_apply(:'scratch' || '/pairs');
\! mkdir "$SCRATCH/empty" && echo 'notes' > "$SCRATCH/empty/README.md"
SELECT version, name, state FROM migrate_status(:'scratch' || '/empty');

\c :orig
DROP DATABASE pgm_format_detect;
