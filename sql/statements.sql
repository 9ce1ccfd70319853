-- What a migration file may contain: BEGIN and COMMIT are no-ops
-- (transaction_noops); other transaction control, psql meta-commands and
-- COPY with the client are refused with the line, before anything runs.
\getenv abs_srcdir PG_ABS_SRCDIR
\set fx :abs_srcdir '/test/fixtures'
\set orig :DBNAME
CREATE DATABASE pgm_statements;
\c pgm_statements
CREATE EXTENSION pg_migrate;

SELECT * FROM migrate_apply(:'fx' || '/stmt_rollback');
SELECT * FROM migrate_apply(:'fx' || '/stmt_savepoint');
-- BEGIN with options around the file: the options are what is refused
SELECT * FROM migrate_apply(:'fx' || '/stmt_begin_options');
SELECT * FROM migrate_apply(:'fx' || '/stmt_meta');
SELECT * FROM migrate_apply(:'fx' || '/stmt_connect');
SELECT * FROM migrate_apply(:'fx' || '/stmt_copy');
SELECT * FROM migrate_apply(:'fx' || '/stmt_copy_nodata');
SELECT to_regclass('c1') AS c1, to_regclass('r1') AS r1, to_regclass('s1') AS s1,
       to_regclass('b1') AS b1, to_regclass('m1') AS m1, to_regclass('k1') AS k1,
       to_regclass('cp') AS cp, to_regclass('iso') AS iso;
SELECT count(*) FROM pgmigrate.history;

SELECT version, name FROM migrate_apply(:'fx' || '/stmt_wrapped');
TABLE wrapped;

\c :orig
DROP DATABASE pgm_statements;
