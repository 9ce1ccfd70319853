-- ent/Atlas folders carry atlas.sum: verified as Atlas verifies it before
-- anything runs; edited, added and removed files are named.
\getenv abs_srcdir PG_ABS_SRCDIR
\getenv abs_builddir PG_ABS_BUILDDIR
\set fx :abs_srcdir '/test/fixtures'
\set scratch :abs_builddir '/results/scratch_format_atlas'
\setenv SCRATCH :scratch
\setenv FX :fx
\set orig :DBNAME
CREATE DATABASE pgm_format_atlas;
\c pgm_format_atlas
CREATE EXTENSION pg_migrate;
SELECT set_config('pgm.scratch', :'scratch', false) IS NOT NULL AS scratch_set;
\set try_sql :abs_srcdir '/test/try.sql'
\i :try_sql
\! rm -rf "$SCRATCH" && mkdir -p "$SCRATCH"

-- each case is a copy of the fixture with one thing changed
\! for c in edited added removed selfsum badline ignored; do cp -R "$FX/format_atlas" "$SCRATCH/$c"; done
\! printf -- '-- a comment added later\n' >> "$SCRATCH/edited/20240101000001_init.down.sql"
\! echo 'SELECT 1;' > "$SCRATCH/added/20240101000003_more.up.sql"
\! rm "$SCRATCH/removed/20240101000001_init.down.sql"
\! sed -i '1s/^h1:./h1:Z/' "$SCRATCH/selfsum/atlas.sum"
\! sed -i '3s/ h1:/ x:/' "$SCRATCH/badline/atlas.sum"
\! printf -- '-- atlas:sum ignore\nSELECT 1;\n' > "$SCRATCH/ignored/20240101000003_scratch.up.sql"
\x on
SELECT * FROM try(format('SELECT migrate_apply(%L)', :'scratch' || '/edited'));
SELECT * FROM try(format('SELECT migrate_apply(%L)', :'scratch' || '/added'));
SELECT * FROM try(format('SELECT migrate_apply(%L)', :'scratch' || '/removed'));
SELECT * FROM try(format('SELECT migrate_apply(%L)', :'scratch' || '/selfsum'));
SELECT * FROM try(format('SELECT migrate_apply(%L)', :'scratch' || '/badline'));
\x off
SELECT file, version, severity, problem FROM migrate_validate(:'scratch' || '/edited');
SELECT count(*) AS history_rows FROM pgmigrate.history;

-- the real folder applies; a file that opts out with "atlas:sum ignore"
-- may be added
SELECT version, name FROM migrate_apply(:'fx' || '/format_atlas');
SELECT column_name FROM information_schema.columns WHERE table_name = 'users' ORDER BY ordinal_position;
SELECT version, name FROM migrate_apply(:'scratch' || '/ignored');

\c :orig
DROP DATABASE pgm_format_atlas;
