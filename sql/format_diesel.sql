-- diesel folders: one folder per migration, <version>_<name>/up.sql and
-- down.sql; metadata.toml's run_in_transaction = false.
\getenv abs_srcdir PG_ABS_SRCDIR
\getenv abs_builddir PG_ABS_BUILDDIR
\set fx :abs_srcdir '/test/fixtures'
\set dir :fx '/format_diesel'
\set scratch :abs_builddir '/results/scratch_format_diesel'
\setenv SCRATCH :scratch
\set orig :DBNAME
CREATE DATABASE pgm_format_diesel;
\c pgm_format_diesel
CREATE EXTENSION pg_migrate;
SELECT set_config('pgm.scratch', :'scratch', false) IS NOT NULL AS scratch_set;
\set try_sql :abs_srcdir '/test/try.sql'
\i :try_sql
\! rm -rf "$SCRATCH" && mkdir -p "$SCRATCH"

\x on
-- bad inputs: a folder without up.sql, a bad metadata.toml, a bad name
\! mkdir -p "$SCRATCH/noup/2024-01-01-000001_a" "$SCRATCH/noup/2024-01-01-000002_b" && echo 'SELECT 1;' > "$SCRATCH/noup/2024-01-01-000001_a/up.sql" && echo 'SELECT 1;' > "$SCRATCH/noup/2024-01-01-000002_b/down.sql"
SELECT * FROM try(format('SELECT migrate_apply(%L)', :'scratch' || '/noup'));
\! mkdir -p "$SCRATCH/meta/2024-01-01-000001_a" && echo 'SELECT 1;' > "$SCRATCH/meta/2024-01-01-000001_a/up.sql" && printf '\nrun_in_transaction = "no"\n' > "$SCRATCH/meta/2024-01-01-000001_a/metadata.toml"
SELECT * FROM try(format('SELECT migrate_apply(%L)', :'scratch' || '/meta'));
\! mkdir -p "$SCRATCH/badname/2024-01-01-000001_a" "$SCRATCH/badname/helpers" && echo 'SELECT 1;' > "$SCRATCH/badname/2024-01-01-000001_a/up.sql"
SELECT * FROM try(format('SELECT migrate_apply(%L)', :'scratch' || '/badname'));
\x off

SELECT version, name, state FROM migrate_status(:'dir') ORDER BY version;
SELECT version, name FROM migrate_apply(:'dir', target => 20240101000001);
INSERT INTO diesel_books (title) VALUES ('Dune');
SELECT title FROM diesel_books;
SELECT tgname FROM pg_trigger WHERE tgrelid = 'diesel_books'::regclass;
-- the version as written, dashes and zeros kept
SELECT version, name, state, version_text, file FROM pgmigrate.history ORDER BY id;
\x on
-- run_in_transaction = false is read
SELECT * FROM try(format('SELECT migrate_apply(%L)', :'dir'));
\x off
\c :orig
DROP DATABASE pgm_format_diesel;
