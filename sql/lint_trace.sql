-- migrate_lint's traced dry run: the locks and rewrites the pending
-- migrations really cause here, and nothing persisted afterwards.
\getenv abs_srcdir PG_ABS_SRCDIR
\set fx :abs_srcdir '/test/fixtures'
\set orig :DBNAME
CREATE DATABASE pgm_lint_trace;
\c pgm_lint_trace
CREATE EXTENSION pg_migrate;
CREATE TABLE big (id int PRIMARY KEY, a int, v varchar(10), s text);
INSERT INTO big SELECT g, g, 'v', 's' FROM generate_series(1, 5000) g;
VACUUM ANALYZE big;
SET pg_migrate.lint_big_table = '64kB';
SELECT relfilenode AS big_node FROM pg_class WHERE relname = 'big' \gset

-- CREATE INDEX: SHARE; ADD COLUMN ... DEFAULT 0: ACCESS EXCLUSIVE, no
-- rewrite; a table the migrations create: nothing; CONCURRENTLY: not run,
-- its documented lock
SELECT file, line, rule, severity, regexp_replace(message, '[0-9.]+ ms', 'N ms') AS message
FROM migrate_lint(:'fx' || '/lint_trace', trace => true)
WHERE rule IN ('lock', 'rewrite');
-- ALTER COLUMN TYPE: ACCESS EXCLUSIVE and a rewrite
SELECT file, line, rule, severity, regexp_replace(message, '[0-9.]+ ms', 'N ms') AS message
FROM migrate_lint(:'fx' || '/lint_trace_type', trace => true)
WHERE rule IN ('lock', 'rewrite');

-- nothing persisted: no index, column, table, type change or new relfilenode
SELECT to_regclass('big_traced_idx') AS idx, to_regclass('traced_new') AS tab,
       (SELECT count(*) FROM pg_attribute WHERE attrelid = 'big'::regclass AND attname = 'traced') AS col,
       (SELECT format_type(atttypid, atttypmod) FROM pg_attribute
        WHERE attrelid = 'big'::regclass AND attname = 'a') AS a_type,
       (SELECT relfilenode FROM pg_class WHERE relname = 'big') = :big_node AS same_node,
       (SELECT count(*) FROM pgmigrate.history) AS history;
-- and no lock is left behind
SELECT count(*) FROM pg_locks WHERE pid = pg_backend_pid() AND relation = 'big'::regclass;

-- a statement that fails: the error names the file and line; rolled back
SELECT * FROM migrate_lint(:'fx' || '/lint_trace_fail', trace => true);
SELECT to_regclass('trace_fail_t');
-- without trace, the same folder only lints
SELECT count(*) FROM migrate_lint(:'fx' || '/lint_trace_fail');

\c :orig
DROP DATABASE pgm_lint_trace;
