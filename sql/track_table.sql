-- Which table is golang-migrate's: pg_migrate.version_table (its
-- x-migrations-table), and another tool's table of that name refused
-- before anything runs.
\getenv abs_builddir PG_ABS_BUILDDIR
\getenv abs_srcdir PG_ABS_SRCDIR
\set scratch :abs_builddir '/results/scratch_track_table'
\setenv SCRATCH :scratch
\set orig :DBNAME
\set su :USER
CREATE DATABASE pgm_track_table;
\c pgm_track_table
CREATE EXTENSION pg_migrate;
SELECT set_config('pgm.scratch', :'scratch', false) IS NOT NULL AS scratch_set;
\set try_sql :abs_srcdir '/test/try.sql'
\i :try_sql
\! rm -rf "$SCRATCH" && mkdir -p "$SCRATCH/m"
\! echo 'CREATE TABLE tt_1 (id int);' > "$SCRATCH/m/1_one.up.sql"
\! echo 'CREATE TABLE tt_2 (id int);' > "$SCRATCH/m/2_two.up.sql"
\set dir :scratch '/m'

-- the setting
SHOW pg_migrate.version_table;
SELECT context, vartype, boot_val FROM pg_settings WHERE name = 'pg_migrate.version_table';

-- bad values are refused when set
SELECT sqlstate, message, detail FROM try($$SET pg_migrate.version_table = ''$$);
SELECT sqlstate, message, detail FROM try($$SET pg_migrate.version_table = 'a.b.c'$$);
SELECT sqlstate, message, detail FROM try($$SET pg_migrate.version_table = 'a..b'$$);
SELECT sqlstate, message, detail FROM try($$SET pg_migrate.version_table = '"unterminated'$$);
SELECT sqlstate, message, detail FROM try($$SET pg_migrate.version_table = 'a b'$$);
SELECT sqlstate, message, detail FROM try($$SET pg_migrate.version_table = '"".t'$$);
SELECT sqlstate, message, detail FROM try($$SET pg_migrate.version_table = 'pg_catalog.pg_class'$$);
SELECT sqlstate, message, detail FROM try($$SET pg_migrate.version_table = 'pg_temp.schema_migrations'$$);
SHOW pg_migrate.version_table;

-- only superusers (and roles granted SET on it) set it: the table named
-- is written as its owner
CREATE ROLE pgm_tt_user LOGIN;
GRANT pg_read_server_files TO pgm_tt_user;
SET ROLE pgm_tt_user;
SELECT sqlstate, message FROM try($$SET pg_migrate.version_table = 'other.t'$$);
RESET ROLE;
GRANT SET ON PARAMETER pg_migrate.version_table TO pgm_tt_user;
SET ROLE pgm_tt_user;
SELECT sqlstate, message FROM try($$SET pg_migrate.version_table = 'other.t'$$);
SHOW pg_migrate.version_table;
RESET pg_migrate.version_table;
RESET ROLE;
REVOKE SET ON PARAMETER pg_migrate.version_table FROM pgm_tt_user;

-- an Ecto table named schema_migrations in public: refused before
-- anything runs, naming its columns and the setting
CREATE TABLE public.schema_migrations (version bigint PRIMARY KEY, inserted_at timestamp(0));
INSERT INTO public.schema_migrations VALUES (20240101000000, now());
\x on
SELECT * FROM try(format('SELECT migrate_apply(%L)', :'dir'));
SELECT * FROM try(format('SELECT migrate_status(%L)', :'dir'));
\x off
SELECT to_regclass('tt_1') IS NULL AS nothing_ran, count(*) AS history_rows FROM pgmigrate.history;

-- golang-migrate's table kept elsewhere (x-migrations-table=
-- "migrate"."schema_migrations"): the Ecto table is left alone
CREATE SCHEMA migrate;
SET pg_migrate.version_table = 'migrate.schema_migrations';
SHOW pg_migrate.version_table;
SELECT version, name FROM migrate_apply(:'dir');
TABLE migrate.schema_migrations;
SELECT version FROM public.schema_migrations;
-- the migration lock follows the table (golang-migrate's
-- GenerateAdvisoryLockId("pgm_track_table", "migrate", "schema_migrations"))
BEGIN;
SELECT count(*) FROM migrate_apply(:'dir');
SELECT classid, objid, objsubid FROM pg_locks
WHERE locktype = 'advisory' AND pid = pg_backend_pid() AND objsubid = 1;
ROLLBACK;
RESET pg_migrate.version_table;
BEGIN;
DROP TABLE public.schema_migrations;
SELECT count(*) FROM migrate_apply(:'dir');
SELECT classid, objid, objsubid FROM pg_locks
WHERE locktype = 'advisory' AND pid = pg_backend_pid() AND objsubid = 1;
ROLLBACK;

-- the setting cannot change while the migration lock taken for its table
-- is held (a migration changing it, or later in the same transaction)
SET pg_migrate.version_table = 'migrate.schema_migrations';
\! echo 'SET pg_migrate.version_table = $$public.schema_migrations$$;' > "$SCRATCH/m/3_set.up.sql"
SELECT sqlstate, message, detail FROM try(format('SELECT migrate_apply(%L)', :'dir'));
\! rm "$SCRATCH/m/3_set.up.sql"
BEGIN;
SELECT count(*) FROM migrate_apply(:'dir');
SELECT sqlstate, message, detail FROM try($$SET pg_migrate.version_table = 'other.t'$$);
SET pg_migrate.version_table = 'migrate.schema_migrations';
COMMIT;
SET pg_migrate.version_table = 'other.t';
RESET pg_migrate.version_table;

-- a schema that does not exist is an error when used
SET pg_migrate.version_table = 'nowhere.schema_migrations';
SELECT sqlstate, message, hint FROM try(format('SELECT migrate_apply(%L)', :'dir'));

-- an odd quoted name: a table with a dot and quotes in a schema with a
-- space (x-migrations-table-quoted=true)
CREATE SCHEMA "Odd Schema";
SET pg_migrate.version_table = '"Odd Schema"."my.migrations ""x"""';
SHOW pg_migrate.version_table;
\! echo 'CREATE TABLE tt_3 AS SELECT version, dirty FROM "Odd Schema"."my.migrations ""x""";' > "$SCRATCH/m/3_three.up.sql"
SELECT version, name FROM migrate_apply(:'dir');
TABLE tt_3;
TABLE "Odd Schema"."my.migrations ""x""";
-- messages name it as PostgreSQL does, unquoted inside the quotes
BEGIN;
ALTER TABLE "Odd Schema"."my.migrations ""x""" RENAME COLUMN dirty TO flag;
SELECT sqlstate, message FROM try(format('SELECT migrate_status(%L)', :'dir'));
ROLLBACK;
BEGIN;
\! echo 'CREATE TABLE tt_4 (id int);' > "$SCRATCH/m/4_four.up.sql"
SELECT count(*) FROM migrate_apply(:'dir');
SELECT classid, objid, objsubid FROM pg_locks
WHERE locktype = 'advisory' AND pid = pg_backend_pid() AND objsubid = 1;
ROLLBACK;
\! rm "$SCRATCH/m/4_four.up.sql"

-- an unqualified name is in schema public
SET pg_migrate.version_table = 'gm_versions';
SHOW pg_migrate.version_table;
SELECT version, name, state FROM migrate_status(:'dir');
SELECT version, name FROM migrate_apply(:'dir');
TABLE public.gm_versions;

-- per database and per role (ALTER DATABASE / ROLE ... SET), by a superuser
ALTER DATABASE pgm_track_table SET pg_migrate.version_table = 'migrate.schema_migrations';
ALTER ROLE pgm_tt_user IN DATABASE pgm_track_table SET pg_migrate.version_table = '"Odd Schema"."my.migrations ""x"""';
\c pgm_track_table
SHOW pg_migrate.version_table;
SET ROLE pgm_tt_user;
SHOW pg_migrate.version_table;
RESET ROLE;
\c pgm_track_table pgm_tt_user
SHOW pg_migrate.version_table;
-- a role cannot set it for itself
SELECT sqlstate, message FROM try($$ALTER ROLE pgm_tt_user SET pg_migrate.version_table = 'other.t'$$);
\c pgm_track_table :su
ALTER ROLE pgm_tt_user IN DATABASE pgm_track_table RESET pg_migrate.version_table;
ALTER DATABASE pgm_track_table RESET pg_migrate.version_table;
-- a bad value is refused there too, once the library is loaded (before,
-- PostgreSQL stores a setting of an extension it has not loaded unchecked)
LOAD 'pg_migrate';
SELECT sqlstate, message FROM try($$ALTER DATABASE pgm_track_table SET pg_migrate.version_table = 'a.b.c'$$);

-- other tools' shapes, each refused with what it looks like
SET pg_migrate.version_table = 'shapes.schema_migrations';
CREATE SCHEMA shapes;
-- dbmate
CREATE TABLE shapes.schema_migrations (version varchar(128) PRIMARY KEY);
SELECT sqlstate, message, detail, hint FROM try(format('SELECT migrate_apply(%L)', :'dir'));
DROP TABLE shapes.schema_migrations;
-- Rails
CREATE TABLE shapes.schema_migrations (version character varying NOT NULL PRIMARY KEY);
SELECT sqlstate, detail FROM try(format('SELECT migrate_apply(%L)', :'dir'));
DROP TABLE shapes.schema_migrations;
-- a version of type text: no tool pg_migrate knows
CREATE TABLE shapes.schema_migrations (version text PRIMARY KEY, dirty boolean NOT NULL);
SELECT sqlstate, detail FROM try(format('SELECT migrate_apply(%L)', :'dir'));
DROP TABLE shapes.schema_migrations;
-- no columns at all
CREATE TABLE shapes.schema_migrations ();
SELECT sqlstate, detail FROM try(format('SELECT migrate_apply(%L)', :'dir'));
DROP TABLE shapes.schema_migrations;
-- goose's table, named by mistake
CREATE TABLE shapes.schema_migrations (id serial PRIMARY KEY, version_id bigint NOT NULL, is_applied boolean NOT NULL, tstamp timestamp DEFAULT now());
SELECT sqlstate, detail FROM try(format('SELECT migrate_apply(%L)', :'dir'));
DROP TABLE shapes.schema_migrations;
-- columns with odd names are quoted in the detail
CREATE TABLE shapes.schema_migrations ("Version" bigint, "dirty flag" boolean);
SELECT sqlstate, detail FROM try(format('SELECT migrate_apply(%L)', :'dir'));
DROP TABLE shapes.schema_migrations;
-- a view with golang-migrate's columns
CREATE TABLE shapes.real (version bigint NOT NULL PRIMARY KEY, dirty boolean NOT NULL);
CREATE VIEW shapes.schema_migrations AS SELECT version, dirty FROM shapes.real;
SELECT sqlstate, message, detail, hint FROM try(format('SELECT migrate_apply(%L)', :'dir'));
SELECT count(*) AS history_rows FROM pgmigrate.history WHERE version > 3;
RESET pg_migrate.version_table;

\c :orig
DROP DATABASE pgm_track_table;
DROP ROLE pgm_tt_user;
