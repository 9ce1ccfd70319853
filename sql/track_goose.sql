-- goose's goose_db_version kept as goose keeps it: its version 0 row,
-- one row per migration, the newest row of a version decides, its lock.
\getenv abs_srcdir PG_ABS_SRCDIR
\getenv abs_builddir PG_ABS_BUILDDIR
\set scratch :abs_builddir '/results/scratch_track_goose'
\setenv SCRATCH :scratch
\set orig :DBNAME
CREATE DATABASE pgm_track_goose;
\c pgm_track_goose
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
\! printf -- '-- +goose Up\nCREATE TABLE go_a (id int);\n-- +goose Down\nDROP TABLE go_a;\n' > "$SCRATCH/m/00001_a.sql"
\! printf -- '-- +goose Up\nCREATE TABLE go_b (id int);\n-- +goose Down\nDROP TABLE go_b;\n' > "$SCRATCH/m/00002_b.sql"
\! printf -- '-- +goose Up\nCREATE TABLE go_lock AS SELECT held_lock_key() AS key;\n' > "$SCRATCH/m/00003_lock.sql"
-- a database goose migrated to version 1, then 2 applied and rolled
-- back by goose before v3.16 (a row with is_applied = false): exactly
-- goose's DDL and rows
CREATE TABLE goose_db_version (
		id serial NOT NULL,
		version_id bigint NOT NULL,
		is_applied boolean NOT NULL,
		tstamp timestamp NULL default now(),
		PRIMARY KEY(id)
	);
INSERT INTO goose_db_version (version_id, is_applied) VALUES (0, true), (1, true), (2, true), (2, false);
CREATE TABLE go_a (id int);
SELECT version, state FROM migrate_status(:'dir') ORDER BY version;
SELECT version FROM migrate_apply(:'dir');
SELECT version, state, applied_by FROM pgmigrate.history ORDER BY id;
SELECT id, version_id, is_applied, tstamp IS NOT NULL AS stamped FROM goose_db_version ORDER BY id;
-- goose's session-locker key
SELECT key = 5887940537704921958 AS is_goose_key FROM go_lock;
-- a missing table is created as goose creates it, version 0 row first,
-- with a row for every migration the history applied
DROP TABLE goose_db_version;
\! printf -- '-- +goose Up\nCREATE TABLE go_d (id int);\n' > "$SCRATCH/m/00004_d.sql"
SELECT version FROM migrate_apply(:'dir');
SELECT id, version_id, is_applied FROM goose_db_version ORDER BY id;
SELECT column_name, data_type, is_nullable, column_default FROM information_schema.columns
WHERE table_name = 'goose_db_version' ORDER BY ordinal_position;
-- not goose's: refused
DROP TABLE goose_db_version;
CREATE TABLE goose_db_version (id int, version_id text);
\x on
SELECT * FROM try(format('SELECT migrate_apply(%L)', :'dir'));
\x off
\c :orig
DROP DATABASE pgm_track_goose;
