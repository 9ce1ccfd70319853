-- The format argument of the folder functions: forces the tool, refuses
-- files that do not fit it, and refuses an unknown name; it holds for the
-- call only.
\getenv abs_srcdir PG_ABS_SRCDIR
\set fx :abs_srcdir '/test/fixtures'
\set orig :DBNAME
CREATE DATABASE pgm_format_arg;
\c pgm_format_arg
CREATE EXTENSION pg_migrate;
\set try_sql :abs_srcdir '/test/try.sql'
\i :try_sql
SELECT set_config('pgm.scratch', :'fx', false) IS NOT NULL AS set;

SELECT version, state FROM migrate_status(:'fx' || '/format_goose', format => 'goose');
\x on
SELECT * FROM try(format('SELECT migrate_status(%L, format => %L)', :'fx' || '/format_goose', 'sqlx'));
SELECT * FROM try(format('SELECT migrate_validate(%L, format => %L)', :'fx' || '/format_goose', 'dbmate'));
SELECT * FROM try(format('SELECT migrate_apply(%L, format => %L)', :'fx' || '/format_goose', 'nope'));
\x off
-- the argument held for its call only: detection again
SELECT count(*) FROM migrate_status(:'fx' || '/format_goose');
SELECT count(*) FROM migrate_lint(:'fx' || '/format_goose', format => 'goose');

\c :orig
DROP DATABASE pgm_format_arg;
