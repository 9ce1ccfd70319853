-- golang-migrate's table exists, with golang-migrate's in-flight state,
-- before each migration runs (the function path): migrations that alter
-- it or read it find what they would under golang-migrate.
\getenv abs_builddir PG_ABS_BUILDDIR
\getenv abs_srcdir PG_ABS_SRCDIR
\set scratch :abs_builddir '/results/scratch_track_inflight'
\setenv SCRATCH :scratch
\set orig :DBNAME
CREATE DATABASE pgm_track_inflight;
\c pgm_track_inflight
CREATE EXTENSION pg_migrate;
SELECT set_config('pgm.scratch', :'scratch', false) IS NOT NULL AS scratch_set;
\set try_sql :abs_srcdir '/test/try.sql'
\i :try_sql
\! rm -rf "$SCRATCH" && mkdir -p "$SCRATCH"

-- a real folder: migration 1 reads the table, 2 adds a column to it,
-- 3 reads it again
\set dir :scratch '/alter'
\! mkdir "$SCRATCH/alter"
\! echo 'CREATE TABLE seen_1 AS SELECT version, dirty FROM schema_migrations;' > "$SCRATCH/alter/1_first.up.sql"
\! echo 'ALTER TABLE schema_migrations ADD COLUMN applied_at timestamptz DEFAULT now();' > "$SCRATCH/alter/2_tracking_column.up.sql"
\! echo 'CREATE TABLE seen_3 AS SELECT version, dirty, applied_at IS NOT NULL AS stamped FROM schema_migrations;' > "$SCRATCH/alter/3_third.up.sql"
SELECT to_regclass('public.schema_migrations') IS NULL AS no_table_yet;
SELECT version, name FROM migrate_apply(:'dir');
-- each migration saw its own version in flight, as under golang-migrate
TABLE seen_1;
TABLE seen_3;
SELECT version, dirty, applied_at IS NOT NULL AS stamped FROM schema_migrations;
SELECT version, state FROM pgmigrate.history ORDER BY id;
-- a new migration: the added column keeps its default, the row is clean
\! echo 'CREATE TABLE seen_4 AS SELECT version, dirty FROM schema_migrations;' > "$SCRATCH/alter/4_fourth.up.sql"
SELECT version, name FROM migrate_apply(:'dir');
TABLE seen_4;
SELECT version, dirty, applied_at IS NOT NULL AS stamped FROM schema_migrations;

-- a NOT NULL column with a default, then a column dropped
\! echo 'ALTER TABLE schema_migrations ADD COLUMN tenant text NOT NULL DEFAULT $$main$$;' > "$SCRATCH/alter/5_not_null.up.sql"
\! echo 'ALTER TABLE schema_migrations DROP COLUMN applied_at;' > "$SCRATCH/alter/6_drop_column.up.sql"
SELECT version, name FROM migrate_apply(:'dir');
TABLE schema_migrations;
SELECT version, name, state FROM migrate_status(:'dir');

-- a NOT NULL column without a default cannot be added while the table
-- holds its in-flight row (as under golang-migrate): the call fails whole
\! echo 'ALTER TABLE schema_migrations ADD COLUMN owner text NOT NULL;' > "$SCRATCH/alter/7_no_default.up.sql"
SELECT sqlstate, message, location FROM try(format('SELECT migrate_apply(%L)', :'dir'));
TABLE schema_migrations;
\! rm "$SCRATCH/alter/7_no_default.up.sql"

-- a migration that drops the table and makes it again
\! echo 'DROP TABLE schema_migrations; CREATE TABLE schema_migrations (version bigint NOT NULL PRIMARY KEY, dirty boolean NOT NULL, note text);' > "$SCRATCH/alter/18_remake.up.sql"
SELECT version, name FROM migrate_apply(:'dir');
TABLE schema_migrations;

-- a migration that makes the table another tool's is refused, and the
-- call rolls back
\! echo 'ALTER TABLE schema_migrations RENAME COLUMN dirty TO inserted_at;' > "$SCRATCH/alter/19_break.up.sql"
SELECT sqlstate, message FROM try(format('SELECT migrate_apply(%L)', :'dir'));
TABLE schema_migrations;
\! rm "$SCRATCH/alter/19_break.up.sql"

-- a file out of order runs with its own in-flight row, and the table
-- then says the highest applied version, not the out-of-order one
\! echo 'CREATE TABLE seen_oo AS SELECT version, dirty FROM schema_migrations;' > "$SCRATCH/alter/9_late.up.sql"
SELECT version, name FROM migrate_apply(:'dir', out_of_order => true);
TABLE seen_oo;
TABLE schema_migrations;

-- golang-migrate set a clean version above the folder's files: an
-- out-of-order file runs, and the table keeps the higher version
UPDATE schema_migrations SET version = 100;
\! echo 'CREATE TABLE seen_oo2 AS SELECT version, dirty FROM schema_migrations;' > "$SCRATCH/alter/10_later.up.sql"
SELECT version, name FROM migrate_apply(:'dir', out_of_order => true);
TABLE seen_oo2;
TABLE schema_migrations;

-- a worker's failure left the table dirty at 137 (faked here: the
-- function path rolls a failure back); a call that runs a file below it
-- leaves the table saying 137 failed
\! echo 'SELECT 1/0;' > "$SCRATCH/alter/137_fails.up.sql"
INSERT INTO pgmigrate.history (version, name, state) VALUES (137, 'fails', 'failed');
UPDATE schema_migrations SET version = 137, dirty = true;
\! echo 'CREATE TABLE seen_37 AS SELECT version, dirty FROM schema_migrations;' > "$SCRATCH/alter/37_below.up.sql"
SELECT version, name FROM migrate_apply(:'dir', target => 136);
TABLE seen_37;
TABLE schema_migrations;
SELECT version, name, state FROM migrate_status(:'dir') WHERE version >= 18;

\c :orig
DROP DATABASE pgm_track_inflight;
