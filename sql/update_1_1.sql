-- ALTER EXTENSION pg_migrate UPDATE from 1.0 to 1.1: the version as written
-- in the file name is recorded, progress is kept per direction, and what
-- 1.0 recorded stays readable.
\getenv abs_srcdir PG_ABS_SRCDIR
\set fx :abs_srcdir '/test/fixtures'
\set orig :DBNAME
CREATE DATABASE pgm_update;
\c pgm_update
CREATE EXTENSION pg_migrate VERSION '1.0';
SELECT extversion FROM pg_extension WHERE extname = 'pg_migrate';
-- 1.0's objects, with 1.1's library: a 1.0 history row
INSERT INTO pgmigrate.history (version, name, file, directory, checksum, state)
VALUES (1, 'init', '0001_init.up.sql', :'fx' || '/zeros',
        (SELECT checksum FROM migrate_status(:'fx' || '/zeros') WHERE version = 1), 'applied');
INSERT INTO pgmigrate.progress (version, checksum, statements_done) VALUES (7, 'x', 2);

ALTER EXTENSION pg_migrate UPDATE;
SELECT extversion FROM pg_extension WHERE extname = 'pg_migrate';
SELECT column_name, data_type, is_nullable FROM information_schema.columns
WHERE table_schema = 'pgmigrate' AND table_name = 'progress' ORDER BY ordinal_position;
SELECT version, direction, statements_done FROM pgmigrate.progress;
SELECT pg_get_constraintdef(oid) FROM pg_constraint
WHERE conrelid = 'pgmigrate.progress'::regclass AND contype = 'p';
-- a direction other than up or down is refused
\set VERBOSITY terse
INSERT INTO pgmigrate.progress (version, checksum, statements_done, direction) VALUES (8, 'x', 1, 'sideways');
\set VERBOSITY default

-- the 1.0 row still counts as applied; new rows keep the version as written
SELECT version, name FROM migrate_apply(:'fx' || '/zeros');
SELECT version, version_text, name, state FROM pgmigrate.history ORDER BY id;
SELECT version, name, state FROM migrate_status();

\c :orig
DROP DATABASE pgm_update;
