-- Callable by superusers and members of pg_read_server_files only; the
-- check comes before any file is read.  Migrations run as the caller.
\getenv abs_srcdir PG_ABS_SRCDIR
\set todo :abs_srcdir '/examples/todo/migrations'
\set orig :DBNAME
CREATE DATABASE pgm_privileges;
\c pgm_privileges
CREATE EXTENSION pg_migrate;
CREATE ROLE pgm_app LOGIN;
GRANT CREATE ON SCHEMA public TO pgm_app;

SET ROLE pgm_app;
SELECT * FROM migrate_apply(:'todo');
SELECT * FROM migrate_status(:'todo');
-- a folder that does not exist is not even looked at
SELECT * FROM migrate_apply('/nonexistent');
RESET ROLE;

-- EXECUTE granted by hand is not enough: the file-reading rule still holds
GRANT EXECUTE ON FUNCTION migrate_apply(text, bigint, boolean, boolean, text, boolean, text) TO pgm_app;
SET ROLE pgm_app;
SELECT * FROM migrate_apply(:'todo');
RESET ROLE;
REVOKE EXECUTE ON FUNCTION migrate_apply(text, bigint, boolean, boolean, text, boolean, text) FROM pgm_app;

GRANT pg_read_server_files TO pgm_app;
-- members of pg_read_server_files that are not superusers may only use
-- folders inside pg_migrate.allowed_directories, which is empty by default
SET ROLE pgm_app;
SELECT * FROM migrate_apply('/tmp');
SET pg_migrate.allowed_directories = '/nonexistent';
RESET ROLE;
SET pg_migrate.allowed_directories = '/nonexistent';
SET ROLE pgm_app;
SELECT * FROM migrate_apply('/tmp');
SELECT * FROM migrate_apply('/nonexistent/../tmp');
RESET ROLE;
SELECT set_config('pg_migrate.allowed_directories', :'abs_srcdir' || '/examples', false) IS NOT NULL AS allowed;
SET ROLE pgm_app;
SELECT version, name FROM migrate_apply(:'todo');
SELECT version, state FROM migrate_status();
RESET ROLE;
-- the migrations ran as the caller, who owns what they created
SELECT relname, pg_get_userbyid(relowner) AS owner FROM pg_class
WHERE relname IN ('todo_item', 'schema_migrations') ORDER BY relname;
SELECT DISTINCT applied_by FROM pgmigrate.history;

\c :orig
DROP DATABASE pgm_privileges;
DROP ROLE pgm_app;
