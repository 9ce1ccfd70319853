-- What runs is what was read and checksummed, and migrations cannot
-- redirect the bookkeeping or leak settings into the caller's session.
\getenv abs_builddir PG_ABS_BUILDDIR
\getenv abs_srcdir PG_ABS_SRCDIR
\set scratch :abs_builddir '/results/scratch_safety'
\setenv SCRATCH :scratch
\set orig :DBNAME
CREATE DATABASE pgm_safety;
\c pgm_safety
CREATE EXTENSION pg_migrate;
\set dir :scratch '/m'
\! rm -rf "$SCRATCH" && mkdir -p "$SCRATCH/m"

-- migration 1 rewrites file 2 while the call runs: file 2 was read before
-- anything ran, so its original text runs and its original checksum is kept
\! echo "CREATE TABLE original_two (id int);" > "$SCRATCH/m/2_two.up.sql"
SELECT encode(sha256(pg_read_binary_file(:'dir' || '/2_two.up.sql')), 'hex') AS original_checksum \gset
SELECT format($f$COPY (SELECT 'CREATE TABLE rewritten_two (id int);') TO %L;$f$,
			  :'dir' || '/2_two.up.sql') AS rewrite \gset
\setenv REWRITE :rewrite
\! printf '%s\n' "$REWRITE" > "$SCRATCH/m/1_one.up.sql"
SELECT version, name FROM migrate_apply(:'dir');
SELECT to_regclass('original_two') AS ran, to_regclass('rewritten_two') AS not_ran;
SELECT checksum = :'original_checksum' AS recorded_what_ran
FROM pgmigrate.history WHERE version = 2;
SELECT version, state FROM migrate_status(:'dir');

-- look-alike objects and search_path changes inside migrations do not
-- touch pg_migrate's bookkeeping, and settings do not outlive a migration
\! mkdir "$SCRATCH/hijack"
\! cd "$SCRATCH/hijack" && printf '%s\n' 'CREATE SCHEMA evil;' 'CREATE TABLE evil.schema_migrations (version bigint, dirty boolean);' 'CREATE TABLE evil.history (version bigint);' 'SET search_path = evil, public;' "SET lock_timeout = '1s';" 'CREATE TABLE marker (id int);' > 1_hijack.up.sql
\! cd "$SCRATCH/hijack" && printf '%s\n' "SELECT current_setting('search_path') AS path_in_next;" "CREATE TABLE next_one AS SELECT current_setting('search_path') AS path, current_setting('lock_timeout') AS lock_timeout;" > 2_next.up.sql
\set hijack :scratch '/hijack'
\c :orig
DROP DATABASE pgm_safety;
CREATE DATABASE pgm_safety;
\c pgm_safety
CREATE EXTENSION pg_migrate;
SHOW search_path;
SELECT version, name FROM migrate_apply(:'hijack');
SHOW search_path;
SHOW lock_timeout;
SELECT * FROM public.next_one;
SELECT to_regclass('evil.marker') AS marker;
SELECT count(*) AS evil_rows FROM evil.schema_migrations;
TABLE public.schema_migrations;
SELECT version, state FROM pgmigrate.history ORDER BY id;

\c :orig
DROP DATABASE pgm_safety;
