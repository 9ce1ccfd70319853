-- Drizzle's drizzle.__drizzle_migrations kept as Drizzle keeps it: its
-- schema, a row per migration (hash, the journal's "when"), read as a
\getenv abs_srcdir PG_ABS_SRCDIR
\getenv abs_builddir PG_ABS_BUILDDIR
\set scratch :abs_builddir '/results/scratch_track_drizzle'
\setenv SCRATCH :scratch
\set orig :DBNAME
CREATE DATABASE pgm_track_drizzle;
\c pgm_track_drizzle
CREATE EXTENSION pg_migrate;
SELECT set_config('pgm.scratch', :'scratch', false) IS NOT NULL AS scratch_set;
\set try_sql :abs_srcdir '/test/try.sql'
\o /dev/null
\i :try_sql
\set helpers :abs_srcdir '/test/track_helpers.sql'
\i :helpers
\o
\! rm -rf "$SCRATCH" && mkdir -p "$SCRATCH/m"
\set dir :scratch '/m'
-- watermark.
\! mkdir -p "$SCRATCH/m/meta"
\! printf 'CREATE TABLE dz_a (id int);\n--> statement-breakpoint\nCREATE TABLE dz_a2 (id int);\n' > "$SCRATCH/m/0000_a.sql"
\! printf 'CREATE TABLE dz_b (id int);\n' > "$SCRATCH/m/0001_b.sql"
\! printf 'CREATE TABLE dz_c (id int);\n' > "$SCRATCH/m/0002_c.sql"
\! printf '{"version":"7","dialect":"postgresql","entries":[{"idx":0,"version":"7","when":1704067200000,"tag":"0000_a","breakpoints":true},{"idx":1,"version":"7","when":1704153600000,"tag":"0001_b","breakpoints":true},{"idx":2,"version":"7","when":1704240000000,"tag":"0002_c","breakpoints":true}]}' > "$SCRATCH/m/meta/_journal.json"
CREATE SCHEMA IF NOT EXISTS "drizzle";
CREATE TABLE IF NOT EXISTS "drizzle"."__drizzle_migrations" (
	id SERIAL PRIMARY KEY,
	hash text NOT NULL,
	created_at bigint
);
-- Drizzle applied the first two
INSERT INTO drizzle.__drizzle_migrations ("hash", "created_at") VALUES
  (encode(sha256(pg_read_binary_file(:'dir' || '/0000_a.sql')), 'hex'), 1704067200000),
  (encode(sha256(pg_read_binary_file(:'dir' || '/0001_b.sql')), 'hex'), 1704153600000);
CREATE TABLE dz_a (id int);
CREATE TABLE dz_a2 (id int);
CREATE TABLE dz_b (id int);
SELECT version, state FROM migrate_status(:'dir') ORDER BY version;
SELECT version FROM migrate_apply(:'dir');
SELECT version, state, applied_by FROM pgmigrate.history ORDER BY id;
SELECT id, hash = encode(sha256(pg_read_binary_file(:'dir' || '/' || f)), 'hex') AS hash_is_drizzles, created_at
FROM drizzle.__drizzle_migrations JOIN (VALUES (1, '0000_a.sql'), (2, '0001_b.sql'), (3, '0002_c.sql')) AS v(n, f) ON n = id
ORDER BY id;
-- a missing schema and table are created as Drizzle creates them
DROP SCHEMA drizzle CASCADE;
DROP TABLE dz_a, dz_a2, dz_b, dz_c;
TRUNCATE pgmigrate.history;
SELECT version FROM migrate_apply(:'dir');
SELECT id, created_at FROM drizzle.__drizzle_migrations ORDER BY id;
DROP TABLE drizzle.__drizzle_migrations;
CREATE TABLE drizzle.__drizzle_migrations (id int, hash int);
\x on
SELECT * FROM try(format('SELECT migrate_apply(%L)', :'dir'));
\x off
\c :orig
DROP DATABASE pgm_track_drizzle;
