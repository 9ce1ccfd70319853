-- dbmate's schema_migrations kept as dbmate keeps it: its version text,
-- one row per migration; golang-migrate's table of the same name refused.
\getenv abs_srcdir PG_ABS_SRCDIR
\getenv abs_builddir PG_ABS_BUILDDIR
\set scratch :abs_builddir '/results/scratch_track_dbmate'
\setenv SCRATCH :scratch
\set orig :DBNAME
CREATE DATABASE pgm_track_dbmate;
\c pgm_track_dbmate
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
\! printf -- '-- migrate:up\nCREATE TABLE dm_a (id int);\n-- migrate:down\nDROP TABLE dm_a;\n' > "$SCRATCH/m/001_a.sql"
\! printf -- '-- migrate:up\nCREATE TABLE dm_b (id int);\n-- migrate:down\nDROP TABLE dm_b;\n' > "$SCRATCH/m/002_b.sql"
\! printf -- '-- migrate:up\nCREATE TABLE dm_c (id int);\n-- migrate:down\nDROP TABLE dm_c;\n' > "$SCRATCH/m/003_c.sql"
-- dbmate migrated 001 (its version text as written); a row "2" is not
-- file 002's under dbmate, which compares text
create table if not exists public.schema_migrations (version varchar(255) primary key);
insert into schema_migrations (version) values ('001'), ('2');
CREATE TABLE dm_a (id int);
SELECT version, state FROM migrate_status(:'dir') ORDER BY version;
SELECT version FROM migrate_apply(:'dir');
SELECT version, state, applied_by FROM pgmigrate.history ORDER BY id;
SELECT version FROM schema_migrations ORDER BY version;
SELECT to_regclass('dm_b') IS NOT NULL AS b_ran, to_regclass('dm_c') IS NOT NULL AS c_ran;
-- golang-migrate's schema_migrations is not dbmate's
DROP TABLE schema_migrations;
CREATE TABLE schema_migrations (version bigint NOT NULL PRIMARY KEY, dirty boolean NOT NULL);
\x on
SELECT * FROM try(format('SELECT migrate_apply(%L)', :'dir'));
\x off
\c :orig
DROP DATABASE pgm_track_dbmate;
