-- pg_migrate.lint and migrate_apply's lint argument: off applies, warn
-- warns and applies, error refuses before anything runs.
\getenv abs_srcdir PG_ABS_SRCDIR
\set fx :abs_srcdir '/test/fixtures'
\set orig :DBNAME
CREATE DATABASE pgm_lint_apply;
\c pgm_lint_apply
CREATE EXTENSION pg_migrate;
CREATE TABLE big (id int PRIMARY KEY, a int, v varchar(10), s text);
INSERT INTO big SELECT g, g, 'v', 's' FROM generate_series(1, 5000) g;
CREATE TABLE small (id int PRIMARY KEY, v varchar(10));
VACUUM ANALYZE big, small;
SET pg_migrate.lint_big_table = '64kB';

-- error: refused before anything runs, naming the rule, file and line
SET pg_migrate.lint = 'error';
SELECT version FROM migrate_apply(:'fx' || '/lint_alter_type', 1);
SELECT count(*) AS nothing_recorded FROM pgmigrate.history;
SELECT format_type(atttypid, atttypmod) AS a_type FROM pg_attribute
WHERE attrelid = 'big'::regclass AND attname = 'a';
-- the argument wins over the setting
SET client_min_messages = error;
SELECT version FROM migrate_apply(:'fx' || '/lint_alter_type', 1, lint => 'off');
RESET client_min_messages;
SELECT format_type(atttypid, atttypmod) AS a_type FROM pg_attribute
WHERE attrelid = 'big'::regclass AND attname = 'a';
-- warn: one WARNING per finding, then applied (another folder: start over)
DELETE FROM pgmigrate.history;
DROP TABLE public.schema_migrations;
SELECT version FROM migrate_apply(:'fx' || '/lint_index', 1, lint => 'warn');
-- a bad mode
SELECT version FROM migrate_apply(:'fx' || '/lint_alter_type', lint => 'loud');
SET pg_migrate.lint = 'loud';
RESET pg_migrate.lint;

\c :orig
DROP DATABASE pgm_lint_apply;
