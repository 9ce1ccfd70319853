-- Flyway's dotted versions (V1.1__, V1_10__): ordered part by part, keyed
-- as bigint by flyway_version.h's encoding, reachable as text by target,
-- migrate_to and migrate_baseline, written to flyway_schema_history as
-- Flyway writes them, and adopted from a history Flyway wrote.
\getenv abs_srcdir PG_ABS_SRCDIR
\getenv abs_builddir PG_ABS_BUILDDIR
\set dir :abs_srcdir '/test/fixtures/flyway_dotted'
\set scratch :abs_builddir '/results/scratch_flyway_versions'
\setenv SCRATCH :scratch
\setenv FIXTURE :dir
\set orig :DBNAME
CREATE DATABASE pgm_flyway_versions;
\c pgm_flyway_versions
CREATE EXTENSION pg_migrate;
SELECT set_config('pgm.scratch', :'scratch', false) IS NOT NULL AS scratch_set;
SELECT set_config('pgm.dir', :'dir', false) IS NOT NULL AS dir_set;
\set try_sql :abs_srcdir '/test/try.sql'
\set helpers :abs_srcdir '/test/track_helpers.sql'
\set flyway_helpers :abs_srcdir '/test/flyway_helpers.sql'
\o /dev/null
\i :try_sql
\i :helpers
\o
\! rm -rf "$SCRATCH" && mkdir -p "$SCRATCH"
\i :flyway_helpers

-- an integer folder keeps plain integer keys (a timestamp too); a dotted
-- target reaches the integers below it (dry runs: the history stays empty)
\! mkdir "$SCRATCH/stamps" && echo 'SELECT 1;' > "$SCRATCH/stamps/V20240101120000__stamp.sql" && echo 'SELECT 1;' > "$SCRATCH/stamps/V20240102120000__next.sql"
SELECT version, name FROM migrate_apply(:'scratch' || '/stamps', dry_run => true);
SELECT version, name FROM migrate_apply(:'scratch' || '/stamps', '20240101120000.5', dry_run => true);
SELECT version, name FROM migrate_apply(:'scratch' || '/stamps', 20240101120000, dry_run => true);
\x on
SELECT * FROM try(format('SELECT migrate_to(%L, %L)', :'scratch' || '/stamps', '20240101120000.5'));
\x off

-- the order: 1 < 1.1 < 1.9 (written 1_9) < 1.10 < 2; every key encoded
SELECT version, name, state FROM migrate_status(:'dir') ORDER BY version;

-- a target as text: a quoted literal picks the text overload
SELECT version, name FROM migrate_apply(:'dir', target => '1.9');
SELECT version, name FROM migrate_apply(:'dir', '1.1');
-- migrate_to by text, then by an integer literal (the bigint overload:
-- the Flyway version 2, keyed as this folder keys it)
SELECT version, name, direction FROM migrate_to(:'dir', '1.10');
SELECT version, name, direction FROM migrate_to(:'dir', 2);
SELECT version, name, direction FROM migrate_to(:'dir', '2.0');
SELECT version, version_text, name, state FROM migrate_status(:'dir') ORDER BY version;
SELECT version, name, file, state, version_text FROM pgmigrate.history ORDER BY id;
-- flyway_schema_history exactly as Flyway writes it: the version as
-- written with "_" read as ".", the description with "_" read as " "
SELECT installed_rank, version, description, type, script,
       checksum = flyway_sum(script) AS checksum_is_flyways, installed_by = current_user AS by_caller,
       execution_time >= 0 AS timed, success
FROM flyway_schema_history ORDER BY installed_rank;
SELECT id, name, email, status, fwd_is_active(a) FROM fwd_accounts a;

-- bad versions in calls
\x on
SELECT * FROM try(format('SELECT migrate_to(%L, %L)', :'dir', '1.5'));
SELECT * FROM try(format('SELECT migrate_to(%L, %L)', :'dir', '1.2.3.4.5'));
SELECT * FROM try(format('SELECT migrate_to(%L, %L)', :'dir', '1.10000'));
SELECT * FROM try(format('SELECT migrate_to(%L, %L)', :'dir', 'v1'));
SELECT * FROM try(format('SELECT migrate_to(%L, %L)', :'dir', ''));
SELECT * FROM try(format('SELECT migrate_apply(%L, target => %L)', :'dir', '1..2'));
SELECT * FROM try(format('SELECT migrate_to(%L, NULL)', :'dir'));
SELECT * FROM try(format('SELECT migrate_baseline(%L, %L)', :'dir', '1.3'));
\x off
-- down to 1.10: U2 undoes V2, recorded as Flyway Teams records an undo
SELECT version, name, direction FROM migrate_to(:'dir', '1.10');
SELECT installed_rank, version, type, script, success FROM flyway_schema_history
ORDER BY installed_rank;
-- a negative target is below every version
SELECT count(*) FROM migrate_apply(:'dir', -1);

-- bad folders: V1 and V1.0 are one version to Flyway
\! mkdir "$SCRATCH/same" && echo 'SELECT 1;' > "$SCRATCH/same/V1__a.sql" && echo 'SELECT 1;' > "$SCRATCH/same/V1.0__b.sql" && echo 'SELECT 1;' > "$SCRATCH/same/V1.1__c.sql"
\x on
SELECT * FROM try(format('SELECT migrate_apply(%L)', :'scratch' || '/same'));
\x off
-- versions the encoding cannot hold: refused naming the file and the limits
\! mkdir "$SCRATCH/range" && echo 'SELECT 1;' > "$SCRATCH/range/V1.1__ok.sql" && echo 'SELECT 1;' > "$SCRATCH/range/V1.10000__minor.sql"
\! mkdir "$SCRATCH/parts" && echo 'SELECT 1;' > "$SCRATCH/parts/V1.2.3.4.5__deep.sql"
\! mkdir "$SCRATCH/first" && echo 'SELECT 1;' > "$SCRATCH/first/V20240101120000__stamp.sql" && echo 'SELECT 1;' > "$SCRATCH/first/V2.1__x.sql"
\x on
SELECT * FROM try(format('SELECT migrate_apply(%L)', :'scratch' || '/range'));
SELECT * FROM try(format('SELECT migrate_apply(%L)', :'scratch' || '/parts'));
SELECT * FROM try(format('SELECT migrate_apply(%L)', :'scratch' || '/first'));
\x off
SELECT file, version, severity, replace(problem, :'scratch', '<scratch>') AS problem
FROM migrate_validate(:'scratch' || '/first') WHERE file IS NOT NULL ORDER BY file;
\c :orig
DROP DATABASE pgm_flyway_versions;

-- adoption: a database Flyway migrated to 1.9, with dotted versions in
-- its table; migrate_run takes a target as text
CREATE DATABASE pgm_flyway_versions;
\c pgm_flyway_versions
CREATE EXTENSION pg_migrate;
SELECT set_config('pgm.scratch', :'scratch', false) IS NOT NULL AS scratch_set;
SELECT set_config('pgm.dir', :'dir', false) IS NOT NULL AS dir_set;
\set helpers :abs_srcdir '/test/track_helpers.sql'
\o /dev/null
\i :try_sql
\i :helpers
\o
\i :flyway_helpers
CALL create_flyway_schema_history();
INSERT INTO flyway_schema_history (installed_rank, version, description, type, script, checksum, installed_by, execution_time, success) VALUES
	(1, '1', 'Create accounts', 'SQL', 'V1__Create_accounts.sql', flyway_sum('V1__Create_accounts.sql'), 'flyway', 12, true),
	(2, '1.1', 'Add email', 'SQL', 'V1.1__Add_email.sql', flyway_sum('V1.1__Add_email.sql'), 'flyway', 3, true),
	(3, '1.9', 'Backfill email', 'SQL', 'V1_9__Backfill_email.sql', flyway_sum('V1_9__Backfill_email.sql'), 'flyway', 4, true);
CREATE TABLE fwd_accounts (id bigint PRIMARY KEY, name text NOT NULL, email text);
INSERT INTO fwd_accounts VALUES (1, 'Ada', 'ada@example.com');
SELECT version, name, state FROM migrate_status(:'dir') ORDER BY version;
SET client_min_messages = warning;	-- the NOTICEs give timings
CALL migrate_run(:'dir', '1.10');
SELECT version, name, state FROM migrate_status(:'dir') ORDER BY version;
CALL migrate_run(:'dir');
RESET client_min_messages;
SELECT version, name, state, version_text FROM pgmigrate.history ORDER BY id;
SELECT installed_rank, version, description, type, script,
       checksum = flyway_sum(script) AS checksum_is_flyways, success
FROM flyway_schema_history ORDER BY installed_rank;

-- a folder that gains its first dotted file after integer versions were
-- applied: refused (the integer keys would change)
\! mkdir "$SCRATCH/grow" && echo 'CREATE TABLE fwd_g1 ();' > "$SCRATCH/grow/V1__one.sql" && echo 'CREATE TABLE fwd_g2 ();' > "$SCRATCH/grow/V2__two.sql"
TRUNCATE pgmigrate.history;
TRUNCATE flyway_schema_history;
SELECT version, name FROM migrate_apply(:'scratch' || '/grow');
\! echo 'CREATE TABLE fwd_g21 ();' > "$SCRATCH/grow/V2.1__minor.sql"
\x on
SELECT * FROM try(format('SELECT migrate_apply(%L)', :'scratch' || '/grow'));
SELECT * FROM try(format('SELECT migrate_status(%L)', :'scratch' || '/grow'));
\x off
-- and one that loses its dotted files after they were applied
\! rm "$SCRATCH/grow/V2.1__minor.sql"
TRUNCATE pgmigrate.history;
TRUNCATE flyway_schema_history;
DROP TABLE fwd_g1, fwd_g2;
\! echo 'CREATE TABLE fwd_g21 ();' > "$SCRATCH/grow/V2.1__minor.sql"
SELECT version, name FROM migrate_apply(:'scratch' || '/grow');
\! rm "$SCRATCH/grow/V2.1__minor.sql"
\x on
SELECT * FROM try(format('SELECT migrate_apply(%L, out_of_order => true, ignore_missing => true)', :'scratch' || '/grow'));
\x off
SELECT count(*) AS g1_tables FROM pg_class WHERE relname = 'fwd_g1';
-- a baseline by text: every version up to 1.9 recorded, none run
\! rm -rf "$SCRATCH/grow"
TRUNCATE pgmigrate.history;
TRUNCATE flyway_schema_history;
SELECT version, name FROM migrate_baseline(:'dir', '1.9');
SELECT version, name, state, version_text, note IS NOT NULL AS noted FROM pgmigrate.history ORDER BY id;
\c :orig
DROP DATABASE pgm_flyway_versions;
