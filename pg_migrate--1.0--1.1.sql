/* pg_migrate--1.0--1.1.sql */

-- complain if script is sourced in psql, rather than via ALTER EXTENSION
\echo Use "ALTER EXTENSION pg_migrate UPDATE TO '1.1'" to load this file. \quit

-- The version type, decided before formats other than golang-migrate's
-- depend on it.  A version has an ordering key and the text as written in
-- the file name.  The key stays bigint: every supported format's versions
-- are integers (golang-migrate, sqlx and goose numbers and timestamps,
-- dbmate and Prisma timestamps, diesel's 2019-02-26-002946 read as its
-- digits).  The text keeps what the key loses (leading zeros, diesel's
-- dashes) so a tool's own table can be written back exactly.  Rows of 1.0
-- have no text; their version is the bigint.  Flyway's dotted versions
-- (1.2.3) are keyed by an order-preserving encoding in a folder that has
-- one (flyway_keys.c).  Flyway's repeatable migrations (R__) have no
-- version: their rows have version -1 and version_text NULL, and are told
-- apart by name (their description); versioned migrations' versions are
-- never negative.
ALTER TABLE pgmigrate.history ADD COLUMN version_text text;
COMMENT ON COLUMN pgmigrate.history.version_text IS
	'The version as written in the file name (leading zeros kept); NULL for rows written by 1.0 and for repeatable migrations (version -1)';

-- Progress of a no-transaction migration is per direction, so that a
-- down migration never resumes from an up migration's statements.
ALTER TABLE pgmigrate.progress
	ADD COLUMN direction text NOT NULL DEFAULT 'up'
		CHECK (direction IN ('up', 'down'));
ALTER TABLE pgmigrate.progress DROP CONSTRAINT progress_pkey;
ALTER TABLE pgmigrate.progress ADD PRIMARY KEY (version, direction);

-- Bookkeeping is written only by the extension's own code.  In 1.0 every
-- member of pg_read_server_files could insert and update jobs, schedules
-- and progress (including the role a schedule runs as) and lock them; the
-- functions now write them as the tables' owner, the extension's owner.
-- Members read what concerns them through the views below: their own jobs
-- and schedules.  (Views rather than row security: pg_dump dumps the
-- policies of an extension's tables, and a restore would then fail on
-- policies CREATE EXTENSION already made.)  Progress, which names no role,
-- stays readable.
REVOKE ALL ON pgmigrate.progress, pgmigrate.jobs, pgmigrate.schedules
	FROM pg_read_server_files;
GRANT SELECT ON pgmigrate.progress TO pg_read_server_files;

-- The role is the caller's, recorded by the function: no default that
-- could record whoever happens to write the row.
ALTER TABLE pgmigrate.jobs ALTER COLUMN role DROP DEFAULT;
ALTER TABLE pgmigrate.schedules ALTER COLUMN role DROP DEFAULT;

-- A schedule runs as a superuser only if its role was one when it called
-- migrate_schedule.  Rows recorded by 1.0, which any member could write,
-- have no value here and are not run.
ALTER TABLE pgmigrate.schedules ADD COLUMN submitted_as_superuser boolean;
COMMENT ON COLUMN pgmigrate.schedules.submitted_as_superuser IS
	'Whether the role was a superuser when it scheduled; NULL for rows recorded by 1.0, which are not run';

-- The one definition of a job's state: a job whose worker is gone without
-- finishing (server restarted, worker killed) shows as failed.  Every job;
-- read by the extension's own code, as the owner.
CREATE VIEW pgmigrate.job_states AS
SELECT j.job_id, pg_catalog.current_database()::text AS database, j.role, j.dir,
	   CASE WHEN j.state OPERATOR(pg_catalog.=) ANY ('{queued,running}'::pg_catalog.text[])
				 AND NOT alive.ok THEN 'failed'
			ELSE j.state END AS state,
	   j.applied,
	   CASE WHEN j.state OPERATOR(pg_catalog.=) ANY ('{queued,running}'::pg_catalog.text[])
				 AND NOT alive.ok
			THEN 'server restarted or worker exited before the job finished'
			ELSE j.error END AS error,
	   j.submitted_at, j.started_at, j.finished_at, j.pid
FROM pgmigrate.jobs j,
	 LATERAL (SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_stat_activity a
							 WHERE a.pid OPERATOR(pg_catalog.=) j.pid
							   AND a.backend_type OPERATOR(pg_catalog.=) 'pg_migrate job'
							   AND a.backend_start OPERATOR(pg_catalog.>=) j.submitted_at) AS ok) alive;
REVOKE ALL ON pgmigrate.job_states FROM PUBLIC;

-- What a role sees: its own jobs and schedules; a superuser, all.  Security
-- barriers, so that no function in a caller's query sees other rows first.
-- (migrate_jobs is redefined below, with the progress of batched data
-- migrations.)

CREATE VIEW @extschema@.migrate_schedules WITH (security_barrier = true) AS
SELECT s.schedule_id, s.dir, s.run_at, s.every, s.role, s.created_at, s.last_job_id
FROM pgmigrate.schedules s
WHERE s.role OPERATOR(pg_catalog.=) CURRENT_USER
   OR (SELECT r.rolsuper FROM pg_catalog.pg_roles r
	   WHERE r.rolname OPERATOR(pg_catalog.=) CURRENT_USER);
COMMENT ON VIEW @extschema@.migrate_schedules IS
	'Schedules of the current role (a superuser: all), as migrate_schedule recorded them';
REVOKE ALL ON @extschema@.migrate_schedules FROM PUBLIC;
GRANT SELECT ON @extschema@.migrate_schedules TO pg_read_server_files;

-- migrate_lint: which statement takes which lock on which table.
CREATE FUNCTION migrate_lint(dir text, pending_only boolean DEFAULT true,
							 trace boolean DEFAULT false, format text DEFAULT NULL)
RETURNS TABLE(version bigint, file text, line integer, statement text,
			  rule text, severity text, message text, hint text)
AS 'MODULE_PATHNAME', 'migrate_lint'
LANGUAGE C VOLATILE PARALLEL UNSAFE;

COMMENT ON FUNCTION migrate_lint(text, boolean, boolean, text) IS
	'Lists which statement of the pending migrations takes which lock on which table, with the safe recipe';

REVOKE ALL ON FUNCTION migrate_lint(text, boolean, boolean, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION migrate_lint(text, boolean, boolean, text) TO pg_read_server_files;

-- migrate_apply gains lint (off, warn, error; NULL: pg_migrate.lint) and
-- dry_run (run the pending migrations, then roll them back).
DROP FUNCTION migrate_apply(text, bigint, boolean, boolean);
CREATE FUNCTION migrate_apply(dir text, target bigint DEFAULT NULL,
							  out_of_order boolean DEFAULT false,
							  ignore_missing boolean DEFAULT false,
							  lint text DEFAULT NULL,
							  dry_run boolean DEFAULT false,
							  format text DEFAULT NULL)
RETURNS TABLE(version bigint, name text, duration_ms double precision)
AS 'MODULE_PATHNAME', 'migrate_apply'
LANGUAGE C VOLATILE PARALLEL UNSAFE;

COMMENT ON FUNCTION migrate_apply(text, bigint, boolean, boolean, text, boolean, text) IS
	'Applies the pending migrations of a folder on the server, all or nothing';

REVOKE ALL ON FUNCTION migrate_apply(text, bigint, boolean, boolean, text, boolean, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION migrate_apply(text, bigint, boolean, boolean, text, boolean, text) TO pg_read_server_files;

-- The history is written as its owner by pg_migrate's own code: a member
-- who could insert rows could mark a version applied without running it,
-- or pending again for a superuser's worker to run.
REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON pgmigrate.history FROM pg_read_server_files;

-- migrate_run: the worker path in the caller's session (a top-level CALL),
-- one commit per migration; what a deploy script runs.
CREATE PROCEDURE migrate_run(dir text, target bigint DEFAULT NULL,
							 out_of_order boolean DEFAULT false,
							 ignore_missing boolean DEFAULT false,
							 lint text DEFAULT NULL,
							 format text DEFAULT NULL)
AS 'MODULE_PATHNAME', 'migrate_run'
LANGUAGE C;

COMMENT ON PROCEDURE migrate_run(text, bigint, boolean, boolean, text, text) IS
	'Applies the pending migrations of a folder in this session, committing each one';

REVOKE ALL ON PROCEDURE migrate_run(text, bigint, boolean, boolean, text, text) FROM PUBLIC;
GRANT EXECUTE ON PROCEDURE migrate_run(text, bigint, boolean, boolean, text, text) TO pg_read_server_files;

-- migrate_await: migrate_wait holding no snapshot while it waits.
CREATE PROCEDURE migrate_await(job_id bigint, timeout interval DEFAULT NULL,
							   INOUT state text DEFAULT NULL)
AS 'MODULE_PATHNAME', 'migrate_await'
LANGUAGE C;

COMMENT ON PROCEDURE migrate_await(bigint, interval, text) IS
	'Waits for a migration job to end, holding no snapshot, and returns its state';

REVOKE ALL ON PROCEDURE migrate_await(bigint, interval, text) FROM PUBLIC;
GRANT EXECUTE ON PROCEDURE migrate_await(bigint, interval, text) TO pg_read_server_files;

-- Batched data migrations (-- pg_migrate:batch) record how far their run
-- got: batches and rows changed, by which backend, since when.
ALTER TABLE pgmigrate.progress
	ADD COLUMN batches bigint CHECK (batches >= 0),
	ADD COLUMN rows_changed bigint CHECK (rows_changed >= 0),
	ADD COLUMN pid integer,
	ADD COLUMN started_at timestamptz;

CREATE VIEW pgmigrate.batch_progress AS
SELECT p.version, p.pid,
	   pg_catalog.format('%s batches, %s rows changed, %s rows/s, since %s',
			p.batches, p.rows_changed,
			COALESCE(pg_catalog.round((p.rows_changed::pg_catalog.float8 OPERATOR(pg_catalog./)
				NULLIF(pg_catalog.date_part('epoch', p.updated_at OPERATOR(pg_catalog.-) p.started_at),
					   0))::pg_catalog.numeric)::pg_catalog.text, '-'),
			p.started_at) AS progress
FROM pgmigrate.progress p
WHERE p.direction OPERATOR(pg_catalog.=) 'up' AND p.batches IS NOT NULL;
REVOKE ALL ON pgmigrate.batch_progress FROM PUBLIC;
GRANT SELECT ON pgmigrate.batch_progress TO pg_read_server_files;

-- What a role sees: its own jobs and schedules; a superuser, all.  Security
-- barriers, so that no function in a caller's query sees other rows first.
-- A running job's progress: its batched data migration's, if any.
CREATE OR REPLACE VIEW @extschema@.migrate_jobs WITH (security_barrier = true) AS
SELECT s.job_id, s.database, s.role, s.dir, s.state, s.applied, s.error,
	   s.submitted_at, s.started_at, s.finished_at, s.pid,
	   (SELECT bp.progress FROM pgmigrate.batch_progress bp
		WHERE s.state OPERATOR(pg_catalog.=) 'running'
		  AND bp.pid OPERATOR(pg_catalog.=) s.pid
		ORDER BY bp.version DESC LIMIT 1) AS progress
FROM pgmigrate.job_states s
WHERE s.role OPERATOR(pg_catalog.=) CURRENT_USER
   OR (SELECT r.rolsuper FROM pg_catalog.pg_roles r
	   WHERE r.rolname OPERATOR(pg_catalog.=) CURRENT_USER);
REVOKE ALL ON @extschema@.migrate_jobs FROM PUBLIC;
GRANT SELECT ON @extschema@.migrate_jobs TO pg_read_server_files;

-- migrate_status gains progress: a batched data migration's, and "running"
-- while a backend runs it; and the version as written in the file name
-- (a Flyway folder's key is not: 1.10 is 1000001001000000000).
DROP FUNCTION migrate_status(text);
CREATE FUNCTION migrate_status(dir text DEFAULT NULL, format text DEFAULT NULL)
RETURNS TABLE(version bigint, name text, state text, applied_at timestamptz,
			  duration_ms double precision, checksum text, progress text,
			  version_text text)
AS 'MODULE_PATHNAME', 'migrate_status'
LANGUAGE C VOLATILE PARALLEL UNSAFE;

COMMENT ON FUNCTION migrate_status(text, text) IS
	'Shows each migration of a folder and of the history with its state';

REVOKE ALL ON FUNCTION migrate_status(text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION migrate_status(text, text) TO pg_read_server_files;

-- Lifecycle: down, to, baseline (issue 9).
-- A history row can say where it came from: migrate_baseline's rows say
-- they were recorded without running.
ALTER TABLE pgmigrate.history ADD COLUMN note text;
COMMENT ON COLUMN pgmigrate.history.note IS
	'Where the row came from when no migration ran for it (migrate_baseline); NULL otherwise';

CREATE FUNCTION migrate_down(dir text, steps integer DEFAULT 1, format text DEFAULT NULL)
RETURNS TABLE(version bigint, name text, duration_ms double precision)
AS 'MODULE_PATHNAME', 'migrate_down'
LANGUAGE C VOLATILE PARALLEL UNSAFE;

COMMENT ON FUNCTION migrate_down(text, integer, text) IS
	'Reverts the newest applied migrations of a folder (NULL steps: all) with their down migrations, all or nothing';

REVOKE ALL ON FUNCTION migrate_down(text, integer, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION migrate_down(text, integer, text) TO pg_read_server_files;

CREATE FUNCTION migrate_to(dir text, version bigint, format text DEFAULT NULL)
RETURNS TABLE(version bigint, name text, direction text, duration_ms double precision)
AS 'MODULE_PATHNAME', 'migrate_to'
LANGUAGE C VOLATILE PARALLEL UNSAFE;

COMMENT ON FUNCTION migrate_to(text, bigint, text) IS
	'Reverts or applies migrations of a folder until exactly the given version is the newest applied, all or nothing';

REVOKE ALL ON FUNCTION migrate_to(text, bigint, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION migrate_to(text, bigint, text) TO pg_read_server_files;

CREATE FUNCTION migrate_baseline(dir text, version bigint, format text DEFAULT NULL)
RETURNS TABLE(version bigint, name text)
AS 'MODULE_PATHNAME', 'migrate_baseline'
LANGUAGE C VOLATILE PARALLEL UNSAFE;

COMMENT ON FUNCTION migrate_baseline(text, bigint, text) IS
	'Records the migrations of a folder up to a version as applied without running them';

REVOKE ALL ON FUNCTION migrate_baseline(text, bigint, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION migrate_baseline(text, bigint, text) TO pg_read_server_files;

-- Every folder function takes the folder's format (golang-migrate, sqlx,
-- dbmate, goose, flyway, diesel, prisma, drizzle; NULL: pg_migrate.format,
-- else detected); migrate_validate, from 1.0, is re-created with it.
DROP FUNCTION migrate_validate(text);
CREATE FUNCTION migrate_validate(dir text, format text DEFAULT NULL)
RETURNS TABLE(file text, version bigint, severity text, problem text)
AS 'MODULE_PATHNAME', 'migrate_validate'
LANGUAGE C VOLATILE PARALLEL UNSAFE;

COMMENT ON FUNCTION migrate_validate(text, text) IS
	'Lists every problem of a folder without applying anything; empty means clean';

REVOKE ALL ON FUNCTION migrate_validate(text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION migrate_validate(text, text) TO pg_read_server_files;

-- Flyway's dotted versions (issue 9): overloads of the functions that take
-- a version, with the version as text (migrate_to(dir, '1.10')).  An
-- integer literal still picks the bigint form and a quoted literal the
-- text form; the target of the text forms has no default, so that a call
-- without one is not ambiguous.  In a Flyway folder with a dotted version
-- both forms name a Flyway version; in other folders the text is an
-- integer.
CREATE FUNCTION migrate_apply(dir text, target text,
							  out_of_order boolean DEFAULT false,
							  ignore_missing boolean DEFAULT false,
							  lint text DEFAULT NULL,
							  dry_run boolean DEFAULT false,
							  format text DEFAULT NULL)
RETURNS TABLE(version bigint, name text, duration_ms double precision)
AS 'MODULE_PATHNAME', 'migrate_apply_text'
LANGUAGE C VOLATILE PARALLEL UNSAFE;

COMMENT ON FUNCTION migrate_apply(text, text, boolean, boolean, text, boolean, text) IS
	'Applies the pending migrations of a folder up to a version given as text, all or nothing';

REVOKE ALL ON FUNCTION migrate_apply(text, text, boolean, boolean, text, boolean, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION migrate_apply(text, text, boolean, boolean, text, boolean, text) TO pg_read_server_files;

CREATE PROCEDURE migrate_run(dir text, target text,
							 out_of_order boolean DEFAULT false,
							 ignore_missing boolean DEFAULT false,
							 lint text DEFAULT NULL,
							 format text DEFAULT NULL)
AS 'MODULE_PATHNAME', 'migrate_run_text'
LANGUAGE C;

COMMENT ON PROCEDURE migrate_run(text, text, boolean, boolean, text, text) IS
	'Applies the pending migrations of a folder up to a version given as text in this session, committing each one';

REVOKE ALL ON PROCEDURE migrate_run(text, text, boolean, boolean, text, text) FROM PUBLIC;
GRANT EXECUTE ON PROCEDURE migrate_run(text, text, boolean, boolean, text, text) TO pg_read_server_files;

CREATE FUNCTION migrate_to(dir text, version text, format text DEFAULT NULL)
RETURNS TABLE(version bigint, name text, direction text, duration_ms double precision)
AS 'MODULE_PATHNAME', 'migrate_to_text'
LANGUAGE C VOLATILE PARALLEL UNSAFE;

COMMENT ON FUNCTION migrate_to(text, text, text) IS
	'Reverts or applies migrations of a folder until exactly the version given as text is the newest applied, all or nothing';

REVOKE ALL ON FUNCTION migrate_to(text, text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION migrate_to(text, text, text) TO pg_read_server_files;

CREATE FUNCTION migrate_baseline(dir text, version text, format text DEFAULT NULL)
RETURNS TABLE(version bigint, name text)
AS 'MODULE_PATHNAME', 'migrate_baseline_text'
LANGUAGE C VOLATILE PARALLEL UNSAFE;

COMMENT ON FUNCTION migrate_baseline(text, text, text) IS
	'Records the migrations of a folder up to a version given as text as applied without running them';

REVOKE ALL ON FUNCTION migrate_baseline(text, text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION migrate_baseline(text, text, text) TO pg_read_server_files;
