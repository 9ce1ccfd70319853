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
		CHECK (state IN ('applied', 'baselined', 'failed', 'reverted')),
	applied_at	timestamptz NOT NULL DEFAULT pg_catalog.clock_timestamp(),
	duration_ms	double precision,
	applied_by	name NOT NULL DEFAULT CURRENT_USER
);
CREATE INDEX history_version_idx ON pgmigrate.history (version, id);

COMMENT ON TABLE pgmigrate.history IS
	'Every migration pg_migrate applied, baselined from schema_migrations, or saw reverted';

SELECT pg_catalog.pg_extension_config_dump('pgmigrate.history', '');
SELECT pg_catalog.pg_extension_config_dump('pgmigrate.history_id_seq', '');

CREATE FUNCTION migrate_apply(dir text, target bigint DEFAULT NULL)
RETURNS TABLE(version bigint, name text, duration_ms double precision)
AS 'MODULE_PATHNAME', 'migrate_apply'
LANGUAGE C VOLATILE PARALLEL UNSAFE;

COMMENT ON FUNCTION migrate_apply(text, bigint) IS
	'Applies the pending migrations of a folder on the server, all or nothing';

CREATE FUNCTION migrate_status(dir text DEFAULT NULL)
RETURNS TABLE(version bigint, name text, state text,
			  applied_at timestamptz, duration_ms double precision,
			  checksum text)
AS 'MODULE_PATHNAME', 'migrate_status'
LANGUAGE C VOLATILE PARALLEL UNSAFE;

COMMENT ON FUNCTION migrate_status(text) IS
	'Shows each migration of a folder and of the history with its state';

-- Reading a server folder is reading server files: the rule of COPY FROM.
REVOKE ALL ON FUNCTION migrate_apply(text, bigint) FROM PUBLIC;
REVOKE ALL ON FUNCTION migrate_status(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION migrate_apply(text, bigint) TO pg_read_server_files;
GRANT EXECUTE ON FUNCTION migrate_status(text) TO pg_read_server_files;

REVOKE ALL ON SCHEMA pgmigrate FROM PUBLIC;
REVOKE ALL ON pgmigrate.history FROM PUBLIC;
GRANT USAGE ON SCHEMA pgmigrate TO pg_read_server_files;
GRANT SELECT, INSERT ON pgmigrate.history TO pg_read_server_files;
