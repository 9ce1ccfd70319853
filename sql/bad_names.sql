-- Folder contents that are refused before anything runs: duplicate
-- versions, names that match no pattern, versions out of range.  Files
-- that are not .sql are ignored.
\getenv abs_builddir PG_ABS_BUILDDIR
\getenv abs_srcdir PG_ABS_SRCDIR
\set scratch :abs_builddir '/results/scratch_names'
\setenv SCRATCH :scratch
\set orig :DBNAME
CREATE DATABASE pgm_bad_names;
\c pgm_bad_names
CREATE EXTENSION pg_migrate;
SELECT set_config('pgm.scratch', :'scratch', false) IS NOT NULL AS scratch_set;
\set try_sql :abs_srcdir '/test/try.sql'
\i :try_sql
\x on

\! rm -rf "$SCRATCH" && mkdir -p "$SCRATCH"
\! cd "$SCRATCH" && mkdir dup && echo 'SELECT 1;' > dup/1_a.up.sql && echo 'SELECT 2;' > dup/1_b.up.sql
SELECT * FROM try(format('SELECT migrate_apply(%L)', :'scratch' || '/dup'));
\! cd "$SCRATCH" && mkdir dupzero && echo 'SELECT 1;' > dupzero/01_x.up.sql && echo 'SELECT 1;' > dupzero/1_x.up.sql
SELECT * FROM try(format('SELECT migrate_apply(%L)', :'scratch' || '/dupzero'));
\! cd "$SCRATCH" && mkdir dupdown && echo 'SELECT 1;' > dupdown/1_x.up.sql && : > dupdown/1_x.down.sql && : > dupdown/01_y.down.sql
SELECT * FROM try(format('SELECT migrate_apply(%L)', :'scratch' || '/dupdown'));
\! cd "$SCRATCH" && mkdir noversion && echo 'SELECT 1;' > noversion/create_users.up.sql
SELECT * FROM try(format('SELECT migrate_apply(%L)', :'scratch' || '/noversion'));
\! cd "$SCRATCH" && mkdir dash && echo 'SELECT 1;' > dash/1-create.up.sql
SELECT * FROM try(format('SELECT migrate_apply(%L)', :'scratch' || '/dash'));
\! cd "$SCRATCH" && mkdir nodirection && echo 'SELECT 1;' > nodirection/1_create.sql
-- (a lone <v>_<name>.sql is sqlx's irreversible form: see format_sqlx;
-- read as golang-migrate's, it has no direction)
SET pg_migrate.format = 'golang-migrate';
SELECT * FROM try(format('SELECT migrate_apply(%L)', :'scratch' || '/nodirection'));
RESET pg_migrate.format;
\! cd "$SCRATCH" && mkdir overflow && echo 'SELECT 1;' > overflow/9223372036854775808_big.up.sql
SELECT * FROM try(format('SELECT migrate_apply(%L)', :'scratch' || '/overflow'));
\! cd "$SCRATCH" && mkdir negative && echo 'SELECT 1;' > negative/-1_minus.up.sql
SELECT * FROM try(format('SELECT migrate_apply(%L)', :'scratch' || '/negative'));
\x off

-- nothing of the above was applied or recorded
SELECT count(*) FROM pgmigrate.history;

-- the largest version is fine; files that are not .sql are ignored
\! cd "$SCRATCH" && mkdir ignored && echo 'CREATE TABLE big_version (id int);' > ignored/9223372036854775807_max.up.sql && echo 'junk' > ignored/1_a.sql.bak && echo 'x' > ignored/README.md && : > ignored/.gitkeep && echo 'junk' > ignored/.1_hidden.up.sql
SELECT version, name FROM migrate_apply(:'scratch' || '/ignored');
TABLE schema_migrations;

\c :orig
DROP DATABASE pgm_bad_names;
