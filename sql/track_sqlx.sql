-- sqlx's _sqlx_migrations kept as sqlx keeps it: adoption of a database
-- sqlx migrated, the rows pg_migrate writes (SHA-384 of the file's bytes,
-- description, nanoseconds), a modified file, a table of the wrong shape,
-- sqlx's advisory lock, the folder that fits two formats.
\getenv abs_srcdir PG_ABS_SRCDIR
\getenv abs_builddir PG_ABS_BUILDDIR
\set scratch :abs_builddir '/results/scratch_track_sqlx'
\setenv SCRATCH :scratch
\set orig :DBNAME
CREATE DATABASE pgm_track_sqlx;
\c pgm_track_sqlx
CREATE EXTENSION pg_migrate;
SELECT set_config('pgm.scratch', :'scratch', false) IS NOT NULL AS scratch_set;
\set try_sql :abs_srcdir '/test/try.sql'
\i :try_sql
\set helpers :abs_srcdir '/test/track_helpers.sql'
\i :helpers
\! rm -rf "$SCRATCH" && mkdir -p "$SCRATCH/m"
-- a BOM and CRLF in the first file: sqlx hashes the bytes as they are
\! printf '\357\273\277CREATE TABLE sq_a (id int);\r\n' > "$SCRATCH/m/20240101000001_create_a.sql"
\! printf 'ALTER TABLE sq_a ADD COLUMN b text;\n' > "$SCRATCH/m/20240101000002_add_b.up.sql"
\! printf 'ALTER TABLE sq_a DROP COLUMN b;\n' > "$SCRATCH/m/20240101000002_add_b.down.sql"
\! printf 'CREATE TABLE sq_lock AS SELECT held_lock_key() AS key;\n' > "$SCRATCH/m/20240101000003_lock_seen.sql"
\set dir :scratch '/m'

-- a database sqlx migrated up to version 1: its table, exactly as sqlx
-- creates it, and its row as sqlx writes it
CREATE TABLE IF NOT EXISTS _sqlx_migrations (
    version BIGINT PRIMARY KEY,
    description TEXT NOT NULL,
    installed_on TIMESTAMPTZ NOT NULL DEFAULT now(),
    success BOOLEAN NOT NULL,
    checksum BYTEA NOT NULL,
    execution_time BIGINT NOT NULL
);
CREATE TABLE sq_a (id int);
INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time)
VALUES (20240101000001, 'create a', TRUE,
        sha384(pg_read_binary_file(:'dir' || '/20240101000001_create_a.sql')), 1234567);

SELECT version, name, state FROM migrate_status(:'dir') ORDER BY version;
SELECT version, name FROM migrate_apply(:'dir');
-- version 1 adopted (not run: sq_a existed), with where it came from
SELECT version, state, applied_by = current_user AS by_caller, applied_by
FROM pgmigrate.history ORDER BY id;
-- the rows are sqlx's: description, success, SHA-384 of the bytes, ns
SELECT version, description, success,
       checksum = sha384(pg_read_binary_file(:'dir' || '/' || f)) AS checksum_is_sqlx,
       execution_time > 0 AS timed, installed_on IS NOT NULL AS installed
FROM _sqlx_migrations
JOIN (VALUES (20240101000001, '20240101000001_create_a.sql'),
             (20240101000002, '20240101000002_add_b.up.sql'),
             (20240101000003, '20240101000003_lock_seen.sql')) AS v(ver, f) ON v.ver = version
ORDER BY version;
-- the adopted row is untouched
SELECT execution_time FROM _sqlx_migrations WHERE version = 20240101000001;
-- sqlx's lock: 0x3d32ad9e * crc32('pgm_track_sqlx')
SELECT key, key = 4157321509247472546 AS is_sqlx_key FROM sq_lock;
-- run again: nothing to do
SELECT count(*) FROM migrate_apply(:'dir');
SELECT count(*) FROM _sqlx_migrations;

-- a file modified after sqlx applied it is modified here too
\c pgm_track_sqlx
DROP TABLE _sqlx_migrations, sq_a, sq_lock;
TRUNCATE pgmigrate.history;
CREATE TABLE _sqlx_migrations (version BIGINT PRIMARY KEY, description TEXT NOT NULL,
    installed_on TIMESTAMPTZ NOT NULL DEFAULT now(), success BOOLEAN NOT NULL,
    checksum BYTEA NOT NULL, execution_time BIGINT NOT NULL);
INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time)
VALUES (20240101000001, 'create a', TRUE, sha384('CREATE TABLE sq_a (id int);'::bytea), 1);
SELECT version, state FROM migrate_status(:'dir') ORDER BY version;
\x on
SELECT * FROM try(format('SELECT migrate_apply(%L)', :'dir'));
\x off
-- a failed row (sqlx before 0.7) makes the database dirty, as under sqlx
UPDATE _sqlx_migrations SET success = false,
  checksum = sha384(pg_read_binary_file(:'dir' || '/20240101000001_create_a.sql'));
\x on
SELECT * FROM try(format('SELECT migrate_apply(%L)', :'dir'));
\x off

-- a table of that name that is not sqlx's is refused before anything runs
DROP TABLE _sqlx_migrations;
CREATE TABLE _sqlx_migrations (version bigint PRIMARY KEY, applied boolean);
\x on
SELECT * FROM try(format('SELECT migrate_apply(%L)', :'dir'));
\x off
SELECT to_regclass('sq_a') AS nothing_ran;

-- a folder of reversible files only fits golang-migrate and sqlx: the
-- table in the database decides
DROP TABLE _sqlx_migrations;
\! mkdir -p "$SCRATCH/rev" && printf 'CREATE TABLE sq_rev (id int);\n' > "$SCRATCH/rev/5_rev.up.sql" && printf 'DROP TABLE sq_rev;\n' > "$SCRATCH/rev/5_rev.down.sql"
SELECT version FROM migrate_apply(:'scratch' || '/rev');
SELECT to_regclass('schema_migrations') AS golang_table, to_regclass('_sqlx_migrations') AS sqlx_table;
SELECT * FROM schema_migrations;
DROP TABLE sq_rev, schema_migrations;
TRUNCATE pgmigrate.history;
CREATE TABLE _sqlx_migrations (version BIGINT PRIMARY KEY, description TEXT NOT NULL,
    installed_on TIMESTAMPTZ NOT NULL DEFAULT now(), success BOOLEAN NOT NULL,
    checksum BYTEA NOT NULL, execution_time BIGINT NOT NULL);
SELECT version FROM migrate_apply(:'scratch' || '/rev');
SELECT version, description, success FROM _sqlx_migrations;
SELECT to_regclass('schema_migrations') AS golang_table;
-- migrate_down deletes the row, as sqlx's revert does
SELECT version, name FROM migrate_down(:'scratch' || '/rev');
SELECT count(*) AS rows_left FROM _sqlx_migrations;
SELECT to_regclass('sq_rev') AS reverted;
\c :orig
DROP DATABASE pgm_track_sqlx;
