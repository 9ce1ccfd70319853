-- Folders and files that cannot be used: each is an ERROR naming the path
-- or the file (and the line for content problems), and nothing is applied.
\getenv abs_builddir PG_ABS_BUILDDIR
\getenv abs_srcdir PG_ABS_SRCDIR
\set scratch :abs_builddir '/results/scratch_files'
\setenv SCRATCH :scratch
\set orig :DBNAME
CREATE DATABASE pgm_bad_files;
\c pgm_bad_files
CREATE EXTENSION pg_migrate;
SELECT set_config('pgm.scratch', :'scratch', false) IS NOT NULL AS scratch_set;
\set try_sql :abs_srcdir '/test/try.sql'
\i :try_sql
\! rm -rf "$SCRATCH" && mkdir -p "$SCRATCH"
\x on

-- folders
SELECT * FROM try($$SELECT migrate_apply('relative/migrations')$$);
SELECT * FROM try(format('SELECT migrate_apply(%L)', :'scratch' || '/../scratch_files'));
SELECT * FROM try(format('SELECT migrate_apply(%L)', :'scratch' || '/does_not_exist'));
SELECT * FROM try($$SELECT migrate_apply('/dev/null')$$);
\! mkdir "$SCRATCH/locked" && echo 'SELECT 1;' > "$SCRATCH/locked/1_a.up.sql" && chmod 000 "$SCRATCH/locked"
SELECT * FROM try(format('SELECT migrate_apply(%L)', :'scratch' || '/locked'));
\! chmod 755 "$SCRATCH/locked"

-- files that cannot be read, or are not regular files
\! mkdir "$SCRATCH/unreadable" && echo 'SELECT 1;' > "$SCRATCH/unreadable/1_a.up.sql" && chmod 000 "$SCRATCH/unreadable/1_a.up.sql"
SELECT * FROM try(format('SELECT migrate_apply(%L)', :'scratch' || '/unreadable'));
\! mkdir -p "$SCRATCH/dir/1_a_directory.up.sql"
SELECT * FROM try(format('SELECT migrate_apply(%L)', :'scratch' || '/dir'));
\! mkdir "$SCRATCH/fifo" && mkfifo "$SCRATCH/fifo/1_pipe.up.sql"
SELECT * FROM try(format('SELECT migrate_apply(%L)', :'scratch' || '/fifo'));
\! mkdir "$SCRATCH/dangling" && ln -s "$SCRATCH/nowhere.sql" "$SCRATCH/dangling/1_link.up.sql"
SELECT * FROM try(format('SELECT migrate_apply(%L)', :'scratch' || '/dangling'));

-- size limit
\! mkdir "$SCRATCH/large" && head -c 3000 /dev/zero | tr '\0' ' ' > "$SCRATCH/large/1_large.up.sql"
SET pg_migrate.max_file_size = '2kB';
SELECT * FROM try(format('SELECT migrate_apply(%L)', :'scratch' || '/large'));
RESET pg_migrate.max_file_size;

-- content that is not text in the database encoding
\! mkdir "$SCRATCH/latin1" && printf 'SELECT 1;\n-- caf\351\nSELECT 2;\n' > "$SCRATCH/latin1/1_latin1.up.sql"
SELECT * FROM try(format('SELECT migrate_apply(%L)', :'scratch' || '/latin1'));
\! mkdir "$SCRATCH/nul" && printf 'CREATE TABLE nul_a (id int);\n\nSELECT 1;\000DROP TABLE nul_a;\n' > "$SCRATCH/nul/1_nul.up.sql"
SELECT * FROM try(format('SELECT migrate_apply(%L)', :'scratch' || '/nul'));

-- symbolic links must stay inside pg_migrate.allowed_directories
\! mkdir -p "$SCRATCH/allowed/links" "$SCRATCH/outside" && echo 'CREATE TABLE linked (id int);' > "$SCRATCH/outside/1_target.up.sql" && ln -s "$SCRATCH/outside/1_target.up.sql" "$SCRATCH/allowed/links/1_linked.up.sql" && ln -s "$SCRATCH/outside" "$SCRATCH/allowed/folder_link"
SELECT set_config('pg_migrate.allowed_directories', :'scratch' || '/allowed', false) IS NOT NULL AS allowed_set;
SELECT * FROM try(format('SELECT migrate_apply(%L)', :'scratch' || '/allowed/links'));
SELECT * FROM try(format('SELECT migrate_apply(%L)', :'scratch' || '/allowed/folder_link'));
SELECT * FROM try(format('SELECT migrate_apply(%L)', :'scratch' || '/outside'));
SET pg_migrate.allowed_directories = 'relative/dir';
RESET pg_migrate.allowed_directories;
-- without the setting, a superuser may follow links anywhere
SELECT * FROM try(format('SELECT migrate_apply(%L)', :'scratch' || '/allowed/links'));
\x off

SELECT version, state, file FROM pgmigrate.history;
SELECT to_regclass('nul_a') AS nul_a;

-- a file over 4 MB is validated a piece at a time: a syntax error in its
-- last piece is found, with its line
\! mkdir "$SCRATCH/big" && (yes 'SELECT 1;' | head -n 600000; echo 'SELEC oops;') > "$SCRATCH/big/1_big.up.sql"
SELECT file, version, severity, problem FROM migrate_validate(:'scratch' || '/big');

\c :orig
DROP DATABASE pgm_bad_files;
