/* pg_migrate--1.0.sql */

-- complain if script is sourced in psql, rather than via CREATE EXTENSION
\echo Use "CREATE EXTENSION pg_migrate" to load this file. \quit

-- The extension's own bookkeeping lives in schema pgmigrate; the functions
-- go to the schema CREATE EXTENSION installs into (public by default).
-- golang-migrate's public.schema_migrations is created on first use and is
-- not part of the extension, so dropping the extension leaves it for
-- golang-migrate and Encore.
CREATE SCHEMA pgmigrate;

-- Append-only log: one row per event; a version's state is its newest row.
CREATE TABLE pgmigrate.history (
	id			bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	version		bigint NOT NULL,
	name		text NOT NULL,
	file		text,
	directory	text,
	checksum	text,
	state		text NOT NULL
		CHECK (state IN ('applied', 'baselined', 'failed', 'reverted',
						 'repaired', 'cleared')),
	applied_at	timestamptz NOT NULL DEFAULT pg_catalog.clock_timestamp(),
	duration_ms	double precision,
	applied_by	name NOT NULL DEFAULT CURRENT_USER,
	error		text			-- failed rows: SQLSTATE, message, file and line
);
CREATE INDEX history_version_idx ON pgmigrate.history (version, id);

COMMENT ON TABLE pgmigrate.history IS
	'Every migration pg_migrate applied, baselined from schema_migrations, or saw reverted';

-- Statements completed by a no-transaction migration that has not finished:
-- a retry of the same file resumes after them.
CREATE TABLE pgmigrate.progress (
	version		bigint PRIMARY KEY,
	checksum	text NOT NULL,
	statements_done integer NOT NULL,
	updated_at	timestamptz NOT NULL DEFAULT pg_catalog.clock_timestamp()
);

-- Runs of migrate_apply_async and of schedules, by background workers.
CREATE TABLE pgmigrate.jobs (
	job_id		bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	role		name NOT NULL DEFAULT CURRENT_USER,
	dir			text NOT NULL,
	state		text NOT NULL DEFAULT 'queued'
		CHECK (state IN ('queued', 'running', 'succeeded', 'failed', 'canceled')),
	applied		integer NOT NULL DEFAULT 0,
	error		text,
	submitted_at timestamptz NOT NULL DEFAULT pg_catalog.clock_timestamp(),
	started_at	timestamptz,
	finished_at	timestamptz,
	pid			integer,
	submit_xid	xid8 DEFAULT pg_catalog.pg_current_xact_id(),
	schedule_id	bigint
);

-- Planned runs (maintenance windows), read by the worker in
-- pg_migrate.database.
CREATE TABLE pgmigrate.schedules (
	schedule_id	bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	dir			text NOT NULL,
	run_at		timestamptz NOT NULL,
	every		interval CHECK (every > interval '0'),
	role		name NOT NULL DEFAULT CURRENT_USER,
	created_at	timestamptz NOT NULL DEFAULT pg_catalog.clock_timestamp(),
	last_job_id	bigint
);

SELECT pg_catalog.pg_extension_config_dump('pgmigrate.history', '');
SELECT pg_catalog.pg_extension_config_dump('pgmigrate.history_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('pgmigrate.schedules', '');
SELECT pg_catalog.pg_extension_config_dump('pgmigrate.schedules_schedule_id_seq', '');

-- A job whose worker is gone without finishing (server restarted, worker
-- killed) shows as failed.
CREATE VIEW migrate_jobs AS
SELECT j.job_id, pg_catalog.current_database()::text AS database, j.role, j.dir,
	   CASE WHEN j.state IN ('queued', 'running') AND NOT alive.ok THEN 'failed'
			ELSE j.state END AS state,
	   j.applied,
	   CASE WHEN j.state IN ('queued', 'running') AND NOT alive.ok
			THEN 'server restarted or worker exited before the job finished'
			ELSE j.error END AS error,
	   j.submitted_at, j.started_at, j.finished_at, j.pid
FROM pgmigrate.jobs j,
	 LATERAL (SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_stat_activity a
							 WHERE a.pid = j.pid
							   AND a.backend_type = 'pg_migrate job'
							   AND a.backend_start >= j.submitted_at) AS ok) alive;

CREATE FUNCTION migrate_apply(dir text, target bigint DEFAULT NULL,
							  out_of_order boolean DEFAULT false,
							  ignore_missing boolean DEFAULT false)
RETURNS TABLE(version bigint, name text, duration_ms double precision)
AS 'MODULE_PATHNAME', 'migrate_apply'
LANGUAGE C VOLATILE PARALLEL UNSAFE;

COMMENT ON FUNCTION migrate_apply(text, bigint, boolean, boolean) IS
	'Applies the pending migrations of a folder on the server, all or nothing';

CREATE FUNCTION migrate_status(dir text DEFAULT NULL)
RETURNS TABLE(version bigint, name text, state text,
			  applied_at timestamptz, duration_ms double precision,
			  checksum text)
AS 'MODULE_PATHNAME', 'migrate_status'
LANGUAGE C VOLATILE PARALLEL UNSAFE;

COMMENT ON FUNCTION migrate_status(text) IS
	'Shows each migration of a folder and of the history with its state';

CREATE FUNCTION migrate_validate(dir text)
RETURNS TABLE(file text, version bigint, severity text, problem text)
AS 'MODULE_PATHNAME', 'migrate_validate'
LANGUAGE C VOLATILE PARALLEL UNSAFE;

COMMENT ON FUNCTION migrate_validate(text) IS
	'Lists every problem of a folder without applying anything; empty means clean';

CREATE FUNCTION migrate_repair(dir text)
RETURNS TABLE(version bigint, name text, action text)
AS 'MODULE_PATHNAME', 'migrate_repair'
LANGUAGE C VOLATILE PARALLEL UNSAFE;

COMMENT ON FUNCTION migrate_repair(text) IS
	'Records the current checksums of modified files and clears failed attempts';

CREATE FUNCTION migrate_apply_async(dir text)
RETURNS bigint
AS 'MODULE_PATHNAME', 'migrate_apply_async'
LANGUAGE C VOLATILE PARALLEL UNSAFE;

COMMENT ON FUNCTION migrate_apply_async(text) IS
	'Starts a background worker that applies the folder, committing each migration; returns the job id';

CREATE FUNCTION migrate_wait(job_id bigint, timeout interval DEFAULT NULL)
RETURNS text
AS 'MODULE_PATHNAME', 'migrate_wait'
LANGUAGE C VOLATILE PARALLEL UNSAFE;

CREATE FUNCTION migrate_cancel(job_id bigint)
RETURNS boolean
AS 'MODULE_PATHNAME', 'migrate_cancel'
LANGUAGE C VOLATILE PARALLEL UNSAFE;

CREATE FUNCTION migrate_wakeup()
RETURNS boolean
AS 'MODULE_PATHNAME', 'migrate_wakeup'
LANGUAGE C VOLATILE PARALLEL UNSAFE;

CREATE FUNCTION migrate_force(version bigint)
RETURNS void
AS 'MODULE_PATHNAME', 'migrate_force'
LANGUAGE C VOLATILE PARALLEL UNSAFE;

CREATE FUNCTION migrate_schedule(dir text, run_at timestamptz, every interval DEFAULT NULL)
RETURNS bigint
AS 'MODULE_PATHNAME', 'migrate_schedule'
LANGUAGE C VOLATILE PARALLEL UNSAFE;

CREATE FUNCTION migrate_unschedule(id bigint)
RETURNS boolean
AS 'MODULE_PATHNAME', 'migrate_unschedule'
LANGUAGE C VOLATILE PARALLEL UNSAFE;

-- Reading a server folder is reading server files: the rule of COPY FROM.
REVOKE ALL ON FUNCTION migrate_apply(text, bigint, boolean, boolean) FROM PUBLIC;
REVOKE ALL ON FUNCTION migrate_status(text) FROM PUBLIC;
REVOKE ALL ON FUNCTION migrate_validate(text) FROM PUBLIC;
REVOKE ALL ON FUNCTION migrate_repair(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION migrate_apply(text, bigint, boolean, boolean) TO pg_read_server_files;
GRANT EXECUTE ON FUNCTION migrate_status(text) TO pg_read_server_files;
GRANT EXECUTE ON FUNCTION migrate_validate(text) TO pg_read_server_files;
GRANT EXECUTE ON FUNCTION migrate_repair(text) TO pg_read_server_files;
REVOKE ALL ON FUNCTION migrate_apply_async(text) FROM PUBLIC;
REVOKE ALL ON FUNCTION migrate_wait(bigint, interval) FROM PUBLIC;
REVOKE ALL ON FUNCTION migrate_cancel(bigint) FROM PUBLIC;
REVOKE ALL ON FUNCTION migrate_wakeup() FROM PUBLIC;
REVOKE ALL ON FUNCTION migrate_force(bigint) FROM PUBLIC;
REVOKE ALL ON FUNCTION migrate_schedule(text, timestamptz, interval) FROM PUBLIC;
REVOKE ALL ON FUNCTION migrate_unschedule(bigint) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION migrate_apply_async(text) TO pg_read_server_files;
GRANT EXECUTE ON FUNCTION migrate_wait(bigint, interval) TO pg_read_server_files;
GRANT EXECUTE ON FUNCTION migrate_cancel(bigint) TO pg_read_server_files;
GRANT EXECUTE ON FUNCTION migrate_wakeup() TO pg_read_server_files;
GRANT EXECUTE ON FUNCTION migrate_force(bigint) TO pg_read_server_files;
GRANT EXECUTE ON FUNCTION migrate_schedule(text, timestamptz, interval) TO pg_read_server_files;
GRANT EXECUTE ON FUNCTION migrate_unschedule(bigint) TO pg_read_server_files;

REVOKE ALL ON SCHEMA pgmigrate FROM PUBLIC;
REVOKE ALL ON pgmigrate.history FROM PUBLIC;
GRANT USAGE ON SCHEMA pgmigrate TO pg_read_server_files;
GRANT SELECT, INSERT ON pgmigrate.history TO pg_read_server_files;
REVOKE ALL ON pgmigrate.progress, pgmigrate.jobs, pgmigrate.schedules FROM PUBLIC;
GRANT SELECT, INSERT, UPDATE, DELETE ON pgmigrate.progress TO pg_read_server_files;
GRANT SELECT, INSERT, UPDATE ON pgmigrate.jobs TO pg_read_server_files;
GRANT SELECT, INSERT, UPDATE, DELETE ON pgmigrate.schedules TO pg_read_server_files;
REVOKE ALL ON migrate_jobs FROM PUBLIC;
GRANT SELECT ON migrate_jobs TO pg_read_server_files;
