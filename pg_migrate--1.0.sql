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
	applied_by	name NOT NULL DEFAULT CURRENT_USER
);
CREATE INDEX history_version_idx ON pgmigrate.history (version, id);

COMMENT ON TABLE pgmigrate.history IS
	'Every migration pg_migrate applied, baselined from schema_migrations, or saw reverted';

SELECT pg_catalog.pg_extension_config_dump('pgmigrate.history', '');
SELECT pg_catalog.pg_extension_config_dump('pgmigrate.history_id_seq', '');

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

-- Reading a server folder is reading server files: the rule of COPY FROM.
REVOKE ALL ON FUNCTION migrate_apply(text, bigint, boolean, boolean) FROM PUBLIC;
REVOKE ALL ON FUNCTION migrate_status(text) FROM PUBLIC;
REVOKE ALL ON FUNCTION migrate_validate(text) FROM PUBLIC;
REVOKE ALL ON FUNCTION migrate_repair(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION migrate_apply(text, bigint, boolean, boolean) TO pg_read_server_files;
GRANT EXECUTE ON FUNCTION migrate_status(text) TO pg_read_server_files;
GRANT EXECUTE ON FUNCTION migrate_validate(text) TO pg_read_server_files;
GRANT EXECUTE ON FUNCTION migrate_repair(text) TO pg_read_server_files;

REVOKE ALL ON SCHEMA pgmigrate FROM PUBLIC;
REVOKE ALL ON pgmigrate.history FROM PUBLIC;
GRANT USAGE ON SCHEMA pgmigrate TO pg_read_server_files;
GRANT SELECT, INSERT ON pgmigrate.history TO pg_read_server_files;
