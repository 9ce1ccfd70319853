-- Statements run from the parse tree script.c made (no second parse), as
-- SPI would run them: each sees the one before, AFTER triggers fire per
-- statement and deferred ones at commit, rules, SELECT INTO, NOTICEs that
-- name their file and line, errors inside functions and their positions.
\getenv abs_srcdir PG_ABS_SRCDIR
\set fx :abs_srcdir '/test/fixtures'
\set orig :DBNAME
CREATE DATABASE pgm_exec_parsed;
\c pgm_exec_parsed
CREATE EXTENSION pg_migrate;
\set SHOW_CONTEXT always

SELECT version, name FROM migrate_apply(:'fx' || '/exec_parsed');
TABLE ep ORDER BY id;
TABLE ep_log;
TABLE ep_audit ORDER BY id;
TABLE ep_child;
SELECT count(*) AS ids FROM ep_ids;
SELECT count(*) AS copied FROM ep_copy;
SHOW search_path;
-- a deferred constraint that fails at commit fails the call
BEGIN;
SELECT version, name FROM migrate_apply(:'fx' || '/exec_parsed_deferred', ignore_missing => true);
COMMIT;
SELECT count(*) AS not_applied FROM ep WHERE id = 7;

\set SHOW_CONTEXT errors
-- an error inside a function: its own context, then the file and line
SELECT version, name FROM migrate_apply(:'fx' || '/exec_parsed_fail', ignore_missing => true);
SELECT to_regproc('epf') AS epf, to_regclass('epf_never') AS never;
-- a procedure that commits: refused in the migration's transaction
SELECT version, name FROM migrate_apply(:'fx' || '/exec_parsed_call', ignore_missing => true);
-- an analysis error: the position inside the statement, in the file
SELECT version, name FROM migrate_apply(:'fx' || '/exec_parsed_position', ignore_missing => true);

\c :orig
DROP DATABASE pgm_exec_parsed;
