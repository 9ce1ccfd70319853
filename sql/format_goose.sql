-- goose folders: "-- +goose Up" / "-- +goose Down" sections,
-- StatementBegin/StatementEnd blocks, "-- +goose NO TRANSACTION".
\getenv abs_srcdir PG_ABS_SRCDIR
\getenv abs_builddir PG_ABS_BUILDDIR
\set fx :abs_srcdir '/test/fixtures'
\set dir :fx '/format_goose'
\set scratch :abs_builddir '/results/scratch_format_goose'
\setenv SCRATCH :scratch
\set orig :DBNAME
CREATE DATABASE pgm_format_goose;
\c pgm_format_goose
CREATE EXTENSION pg_migrate;
SELECT set_config('pgm.scratch', :'scratch', false) IS NOT NULL AS scratch_set;
\set try_sql :abs_srcdir '/test/try.sql'
\i :try_sql
\! rm -rf "$SCRATCH" && mkdir -p "$SCRATCH"

\x on
-- bad inputs, each with its line
\! mkdir "$SCRATCH/unknown" && printf -- '-- +goose Up\nSELECT 1;\n-- +goose Upgrade\n' > "$SCRATCH/unknown/1_unknown.sql"
SELECT * FROM try(format('SELECT migrate_apply(%L)', :'scratch' || '/unknown'));
\! mkdir "$SCRATCH/twoup" && printf -- '-- +goose Up\nSELECT 1;\n-- +goose Up\n' > "$SCRATCH/twoup/1_twoup.sql"
SELECT * FROM try(format('SELECT migrate_apply(%L)', :'scratch' || '/twoup'));
\! mkdir "$SCRATCH/downfirst" && printf -- '-- +goose Down\nSELECT 1;\n-- +goose Up\n' > "$SCRATCH/downfirst/1_downfirst.sql"
SELECT * FROM try(format('SELECT migrate_apply(%L)', :'scratch' || '/downfirst'));
\! mkdir "$SCRATCH/open" && printf -- '-- +goose Up\n-- +goose StatementBegin\nSELECT 1;\n-- +goose Down\n' > "$SCRATCH/open/1_open.sql"
SELECT * FROM try(format('SELECT migrate_apply(%L)', :'scratch' || '/open'));
\! mkdir "$SCRATCH/envsub" && printf -- '-- +goose ENVSUB ON\n-- +goose Up\nSELECT ${X};\n' > "$SCRATCH/envsub/1_envsub.sql"
SELECT * FROM try(format('SELECT migrate_apply(%L)', :'scratch' || '/envsub'));
\! mkdir "$SCRATCH/noup" && printf -- '-- +goose Up\nSELECT 1;\n' > "$SCRATCH/noup/1_ok.sql" && printf -- '-- +goose StatementBegin\nSELECT 1;\n' > "$SCRATCH/noup/2_noup.sql"
SELECT * FROM try(format('SELECT migrate_apply(%L)', :'scratch' || '/noup'));
\x off

SELECT version, name, state FROM migrate_status(:'dir') ORDER BY version;
SELECT version, name FROM migrate_apply(:'dir', target => 2);
-- the up sections ran (the trigger rounds), the down sections did not
SELECT id, total FROM goose_orders ORDER BY id;
SELECT version, state, version_text FROM pgmigrate.history ORDER BY id;
\x on
-- NO TRANSACTION is read (line 1)
SELECT * FROM try(format('SELECT migrate_apply(%L)', :'dir'));
\x off
\c :orig
DROP DATABASE pgm_format_goose;
