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
-- have no text; their version is the bigint.
ALTER TABLE pgmigrate.history ADD COLUMN version_text text;
COMMENT ON COLUMN pgmigrate.history.version_text IS
	'The version as written in the file name (leading zeros kept); NULL for rows written by 1.0';

-- Progress of a no-transaction migration is per direction, so that a
-- down migration never resumes from an up migration's statements.
ALTER TABLE pgmigrate.progress
	ADD COLUMN direction text NOT NULL DEFAULT 'up'
		CHECK (direction IN ('up', 'down'));
ALTER TABLE pgmigrate.progress DROP CONSTRAINT progress_pkey;
ALTER TABLE pgmigrate.progress ADD PRIMARY KEY (version, direction);
