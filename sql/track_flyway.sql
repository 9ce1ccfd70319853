-- Flyway's flyway_schema_history kept as Flyway keeps it: its DDL, a
-- row per migration with Flyway's CRC-32 line checksum, its baseline,
\getenv abs_srcdir PG_ABS_SRCDIR
\getenv abs_builddir PG_ABS_BUILDDIR
\set scratch :abs_builddir '/results/scratch_track_flyway'
\setenv SCRATCH :scratch
\set orig :DBNAME
CREATE DATABASE pgm_track_flyway;
\c pgm_track_flyway
CREATE EXTENSION pg_migrate;
SELECT set_config('pgm.scratch', :'scratch', false) IS NOT NULL AS scratch_set;
\set try_sql :abs_srcdir '/test/try.sql'
\o /dev/null
\i :try_sql
\set helpers :abs_srcdir '/test/track_helpers.sql'
\set flyway_helpers :abs_srcdir '/test/flyway_helpers.sql'
\i :helpers
\o
\! rm -rf "$SCRATCH" && mkdir -p "$SCRATCH/m"
\set dir :scratch '/m'
-- its failed rows, its lock.
SELECT crc32('123456789'::bytea) AS crc32_check;  -- 0xCBF43926 as int
\! printf '\357\273\277CREATE TABLE fw_a (id int);\r\n-- two\r\n\r\n-- lines\n' > "$SCRATCH/m/V1__Create_a.sql"
\! printf 'CREATE TABLE fw_b (id int);\n' > "$SCRATCH/m/V002__Create_b.sql"
\! printf 'CREATE TABLE fw_c (id int);\n' > "$SCRATCH/m/V3__Create_c.sql"
\! printf 'CREATE TABLE fw_lock AS SELECT held_lock_key() AS key;\n' > "$SCRATCH/m/V4__Lock.sql"
\i :flyway_helpers
SELECT set_config('pgm.dir', :'dir', false) IS NOT NULL AS dir_set;
-- a database Flyway migrated to version 1 (exactly its DDL and row)
CALL create_flyway_schema_history();
INSERT INTO flyway_schema_history (installed_rank, version, description, type, script, checksum, installed_by, execution_time, success)
VALUES (1, '1', 'Create a', 'SQL', 'V1__Create_a.sql', flyway_sum('V1__Create_a.sql'), 'flyway', 12, true);
CREATE TABLE fw_a (id int);
SELECT version, state FROM migrate_status(:'dir') ORDER BY version;
SELECT version FROM migrate_apply(:'dir');
SELECT version, state, applied_by FROM pgmigrate.history ORDER BY id;
SELECT installed_rank, version, description, type, script,
       checksum = flyway_sum(script) AS checksum_is_flyways, installed_by = current_user AS by_caller,
       execution_time >= 0 AS timed, success
FROM flyway_schema_history ORDER BY installed_rank;
-- Flyway's lock: 0x466C79776179 + "\"public\".\"flyway_schema_history\"".hashCode()
SELECT key = 77433833903597 AS is_flyway_key FROM fw_lock;
-- a modified file: Flyway's validate would fail, so does adoption
\c pgm_track_flyway
SELECT set_config('pgm.dir', :'dir', false) IS NOT NULL AS dir_set;
DROP TABLE fw_a, fw_b, fw_c, fw_lock;
TRUNCATE pgmigrate.history;
DELETE FROM flyway_schema_history WHERE installed_rank > 1;
UPDATE flyway_schema_history SET checksum = checksum + 1;
SELECT version, state FROM migrate_status(:'dir') ORDER BY version;
-- a BASELINE row at 2: versions 1 and 2 count as applied
TRUNCATE flyway_schema_history;
INSERT INTO flyway_schema_history (installed_rank, version, description, type, script, checksum, installed_by, execution_time, success)
VALUES (1, '2', '<< Flyway Baseline >>', 'BASELINE', '<< Flyway Baseline >>', NULL, 'flyway', 0, true);
SELECT version, state FROM migrate_status(:'dir') ORDER BY version;
-- a failed row: Flyway refuses until repaired, so does pg_migrate
INSERT INTO flyway_schema_history (installed_rank, version, description, type, script, checksum, installed_by, execution_time, success)
VALUES (2, '3', 'Create c', 'SQL', 'V3__Create_c.sql', flyway_sum('V3__Create_c.sql'), 'flyway', 5, false);
\x on
SELECT * FROM try(format('SELECT migrate_apply(%L)', :'dir'));
\x off
-- not Flyway's: refused
DROP TABLE flyway_schema_history;
CREATE TABLE flyway_schema_history (installed_rank int, version text);
\x on
SELECT * FROM try(format('SELECT migrate_apply(%L)', :'dir'));
\x off
-- created as Flyway creates it when missing
DROP TABLE flyway_schema_history;
SELECT count(*) FROM migrate_apply(:'dir');
SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'flyway_schema_history' ORDER BY 1;
SELECT installed_rank, version, checksum = flyway_sum(script) AS checksum_is_flyways FROM flyway_schema_history ORDER BY 1;
\c :orig
DROP DATABASE pgm_track_flyway;
