-- The tool's tracking table belongs to whoever made it (often the
-- application role that once ran golang-migrate).  pg_migrate reads and
-- writes it as that owner, in a security-restricted operation, so a trigger
-- or rule on it never runs with the caller's (a superuser's) rights; a view
-- in its place, or a table of another shape, is refused before anything
-- runs.
\getenv abs_srcdir PG_ABS_SRCDIR
\set fx :abs_srcdir '/test/fixtures'
\set orig :DBNAME
CREATE DATABASE pgm_security_tracking;
\c pgm_security_tracking
CREATE EXTENSION pg_migrate;
CREATE ROLE pgm_owner NOLOGIN;
GRANT CREATE ON SCHEMA public TO pgm_owner;

-- the owner's trap: a trigger that tries to use the rights of whoever fires it
SET ROLE pgm_owner;
CREATE TABLE public.schema_migrations (version bigint NOT NULL PRIMARY KEY, dirty boolean NOT NULL);
INSERT INTO public.schema_migrations VALUES (1, false);
CREATE TABLE public.fired (who text, superuser boolean);
CREATE FUNCTION public.trap() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	INSERT INTO public.fired SELECT current_user, rolsuper FROM pg_catalog.pg_roles WHERE rolname = current_user;
	BEGIN
		EXECUTE 'ALTER ROLE pgm_owner SUPERUSER';
	EXCEPTION WHEN OTHERS THEN
		INSERT INTO public.fired VALUES ('refused: ' || SQLERRM, NULL);
	END;
	RETURN NULL;
END $$;
CREATE TRIGGER trap AFTER INSERT OR DELETE ON public.schema_migrations
	FOR EACH STATEMENT EXECUTE FUNCTION public.trap();
RESET ROLE;

-- a superuser applies the folder: the trigger fires as the owner
SELECT version, name FROM migrate_apply(:'fx' || '/target');
SELECT who, superuser FROM public.fired ORDER BY 1;
SELECT rolsuper FROM pg_roles WHERE rolname = 'pgm_owner';
TABLE public.schema_migrations;

-- a view in its place, calling the owner's function, is never read
BEGIN;
ALTER TABLE public.schema_migrations RENAME TO real_schema_migrations;
CREATE VIEW public.schema_migrations AS SELECT version, dirty FROM public.real_schema_migrations;
ALTER VIEW public.schema_migrations OWNER TO pgm_owner;
SELECT * FROM migrate_status(:'fx' || '/target');
ROLLBACK;

-- another tool's table of that name is refused, naming its columns
CREATE DATABASE pgm_security_ecto;
\c pgm_security_ecto
CREATE EXTENSION pg_migrate;
CREATE TABLE public.schema_migrations (version bigint PRIMARY KEY, inserted_at timestamp(0));
INSERT INTO public.schema_migrations VALUES (20240101000000, now());
SELECT * FROM migrate_apply(:'fx' || '/target');
SELECT count(*) FROM pgmigrate.history;
DROP TABLE public.schema_migrations;
-- a text version (dbmate, Rails) would be read as a pointer: refused
CREATE TABLE public.schema_migrations (version varchar(128) PRIMARY KEY, dirty boolean);
INSERT INTO public.schema_migrations VALUES ('20240101000000', false);
SELECT * FROM migrate_status(:'fx' || '/target');
SELECT * FROM migrate_apply(:'fx' || '/target');
SELECT to_regclass('target_1') IS NULL AS nothing_ran;
DROP TABLE public.schema_migrations;
-- forced row security would hide rows from the owner: refused
CREATE TABLE public.schema_migrations (version bigint PRIMARY KEY, dirty boolean NOT NULL);
ALTER TABLE public.schema_migrations ENABLE ROW LEVEL SECURITY;
ALTER TABLE public.schema_migrations FORCE ROW LEVEL SECURITY;
SELECT * FROM migrate_apply(:'fx' || '/target');

-- a member without CREATE on schema public is told which privilege is missing
DROP TABLE public.schema_migrations;
CREATE ROLE pgm_member NOLOGIN IN ROLE pg_read_server_files;
SET pg_migrate.allowed_directories = :'fx';
SET ROLE pgm_member;
SELECT * FROM migrate_apply(:'fx' || '/select_only');
-- members read the history but cannot write it: only pg_migrate does, as
-- the table's owner, naming the caller
INSERT INTO pgmigrate.history (version, name, state) VALUES (1, 'select', 'applied');
RESET ROLE;
GRANT CREATE ON SCHEMA public TO pgm_member;
SET ROLE pgm_member;
SELECT version, name FROM migrate_apply(:'fx' || '/select_only');
SELECT version, state, applied_by FROM pgmigrate.history;
RESET ROLE;
RESET pg_migrate.allowed_directories;
DROP TABLE public.schema_migrations;
REVOKE CREATE ON SCHEMA public FROM pgm_member;

\c :orig
DROP DATABASE pgm_security_ecto;
DROP DATABASE pgm_security_tracking;
DROP ROLE pgm_owner;
DROP ROLE pgm_member;
