-- Encore's todo example: create a table, then add a field.
\getenv abs_srcdir PG_ABS_SRCDIR
\set todo :abs_srcdir '/examples/todo/migrations'
\set orig :DBNAME
CREATE DATABASE pgm_todo;
\c pgm_todo
CREATE EXTENSION pg_migrate;

-- nothing applied yet: both files pending, with their checksums
SELECT version, name, state, applied_at IS NULL AS no_time, checksum
FROM migrate_status(:'todo');
-- no history: status without a folder has nothing to show
SELECT count(*) FROM migrate_status();

SELECT version, name, duration_ms >= 0 AS timed FROM migrate_apply(:'todo');
\d todo_item
INSERT INTO todo_item (title) VALUES ('write migrations') RETURNING id, title, done, due_at;

-- golang-migrate's table, exactly
\d schema_migrations
TABLE schema_migrations;

-- the history records file, folder, checksum, role
SELECT version, name, file, directory = :'todo' AS same_dir, state,
       checksum = encode(sha256(pg_read_binary_file(:'todo' || '/' || file)), 'hex') AS checksum_ok,
       duration_ms >= 0 AS timed, applied_by = current_user AS by_caller
FROM pgmigrate.history ORDER BY id;

-- migrate_status() with no folder reads the folder most recently applied
SELECT version, name, state, applied_at IS NOT NULL AS has_time,
       duration_ms IS NOT NULL AS has_duration, length(checksum)
FROM migrate_status();

-- re-running is a no-op that returns no rows and changes nothing
SELECT * FROM migrate_apply(:'todo');
SELECT count(*) FROM pgmigrate.history;
TABLE schema_migrations;

\c :orig
DROP DATABASE pgm_todo;
