-- dbmate folders: one file per migration with "-- migrate:up" and
-- "-- migrate:down" sections; transaction:false on a marker line.
\getenv abs_srcdir PG_ABS_SRCDIR
\getenv abs_builddir PG_ABS_BUILDDIR
\set fx :abs_srcdir '/test/fixtures'
\set dir :fx '/format_dbmate'
\set scratch :abs_builddir '/results/scratch_format_dbmate'
\setenv SCRATCH :scratch
\set orig :DBNAME
CREATE DATABASE pgm_format_dbmate;
\c pgm_format_dbmate
CREATE EXTENSION pg_migrate;
SELECT set_config('pgm.scratch', :'scratch', false) IS NOT NULL AS scratch_set;
\set try_sql :abs_srcdir '/test/try.sql'
\i :try_sql
\! rm -rf "$SCRATCH" && mkdir -p "$SCRATCH"

\x on
-- bad inputs, each with its line
\! mkdir "$SCRATCH/nodown" && printf -- '-- migrate:up\nCREATE TABLE nodown (a int);\n' > "$SCRATCH/nodown/1_nodown.sql"
SELECT * FROM try(format('SELECT migrate_apply(%L)', :'scratch' || '/nodown'));
\! mkdir "$SCRATCH/twoup" && printf -- '-- migrate:up\nSELECT 1;\n-- migrate:up\nSELECT 2;\n-- migrate:down\n' > "$SCRATCH/twoup/1_twoup.sql"
SELECT * FROM try(format('SELECT migrate_apply(%L)', :'scratch' || '/twoup'));
\! mkdir "$SCRATCH/downfirst" && printf -- '-- migrate:down\nSELECT 1;\n-- migrate:up\nSELECT 2;\n' > "$SCRATCH/downfirst/1_downfirst.sql"
SELECT * FROM try(format('SELECT migrate_apply(%L)', :'scratch' || '/downfirst'));
\! mkdir "$SCRATCH/stmtfirst" && printf -- '-- migrate:up\nSELECT 1;\n-- migrate:down\n' > "$SCRATCH/stmtfirst/1_ok.sql" && printf -- 'CREATE TABLE early (a int);\n-- migrate:up\nSELECT 1;\n-- migrate:down\n' > "$SCRATCH/stmtfirst/2_early.sql"
SELECT * FROM try(format('SELECT migrate_apply(%L)', :'scratch' || '/stmtfirst'));
SET pg_migrate.format = 'dbmate';
SELECT * FROM try(format('SELECT migrate_apply(%L)', :'scratch' || '/stmtfirst'));
RESET pg_migrate.format;
\x off
SELECT to_regclass('early') AS early;
\x off

SELECT version, name, state FROM migrate_status(:'dir') ORDER BY version;
SELECT version, name FROM migrate_apply(:'dir', target => 20240101000002);
-- the up sections ran, the down sections did not
SELECT title, slug FROM dbmate_posts;
SELECT to_regprocedure('dbmate_slug(text)') IS NOT NULL AS slug_function;
SELECT version, state, version_text FROM pgmigrate.history ORDER BY id;
\x on
-- transaction:false is read: the file must run outside a transaction
SELECT * FROM try(format('SELECT migrate_apply(%L)', :'dir'));
\x off
\c :orig
DROP DATABASE pgm_format_dbmate;
