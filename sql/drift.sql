-- Drift between the folder and the history: modified, missing, out of
-- order and failed migrations, migrate_repair, and migrate_validate.
\getenv abs_builddir PG_ABS_BUILDDIR
\getenv abs_srcdir PG_ABS_SRCDIR
\set scratch :abs_builddir '/results/scratch_drift'
\setenv SCRATCH :scratch
\set orig :DBNAME
CREATE DATABASE pgm_drift;
\c pgm_drift
CREATE EXTENSION pg_migrate;
SELECT set_config('pgm.scratch', :'scratch', false) IS NOT NULL AS scratch_set;
\set try_sql :abs_srcdir '/test/try.sql'
\i :try_sql
\set dir :scratch '/m'
\! rm -rf "$SCRATCH" && mkdir -p "$SCRATCH/m"
\! cd "$SCRATCH/m" && for v in 1 2 3; do echo "CREATE TABLE d$v (id int);" > ${v}_d$v.up.sql; done
SELECT version, name FROM migrate_apply(:'dir');

-- modified: an applied file changed; apply refuses and lists it
\! echo '-- a harmless comment' >> "$SCRATCH/m/2_d2.up.sql"
SELECT version, state FROM migrate_status(:'dir');
\x on
SELECT * FROM try(format('SELECT migrate_apply(%L)', :'dir'));
\x off
SELECT file, version, severity, left(problem, 40) AS problem FROM migrate_validate(:'dir');
-- after a human checked the change, repair records the new checksum
SELECT * FROM migrate_repair(:'dir');
SELECT version, state FROM migrate_status(:'dir');
SELECT * FROM migrate_repair(:'dir');
SELECT count(*) FROM migrate_validate(:'dir');

-- missing: an applied file is gone; refused unless ignore_missing
\! mv "$SCRATCH/m/3_d3.up.sql" "$SCRATCH/3_d3.up.sql.away" && echo 'CREATE TABLE d4 (id int);' > "$SCRATCH/m/4_d4.up.sql"
SELECT version, name, state FROM migrate_status(:'dir');
\x on
SELECT * FROM try(format('SELECT migrate_apply(%L)', :'dir'));
\x off
SELECT * FROM migrate_validate(:'dir');
SELECT version, name FROM migrate_apply(:'dir', ignore_missing => true);
\! mv "$SCRATCH/3_d3.up.sql.away" "$SCRATCH/m/3_d3.up.sql"

-- out of order: a file merged late below the highest applied version
\! echo 'CREATE TABLE d5 (id int);' > "$SCRATCH/m/5000_d5.up.sql"
SELECT version, name FROM migrate_apply(:'dir');
\! echo 'CREATE TABLE d2b (id int);' > "$SCRATCH/m/2500_late.up.sql" && echo 'CREATE TABLE d6 (id int);' > "$SCRATCH/m/5500_d6.up.sql"
SELECT version, name, state FROM migrate_status(:'dir');
\x on
SELECT * FROM try(format('SELECT migrate_apply(%L)', :'dir'));
\x off
SELECT * FROM migrate_validate(:'dir');
SELECT version, name FROM migrate_apply(:'dir', out_of_order => true);
TABLE schema_migrations;

-- failed: the background worker records failed attempts; status shows
-- them, apply retries them, repair clears them
INSERT INTO pgmigrate.history (version, name, file, directory, checksum, state)
VALUES (6000, 'next', '6000_next.up.sql', :'dir', NULL, 'failed');
\! echo 'CREATE TABLE d7 (id int);' > "$SCRATCH/m/6000_next.up.sql"
SELECT version, name, state FROM migrate_status(:'dir') WHERE version >= 5000;
SELECT file, version, severity, problem FROM migrate_validate(:'dir');
SELECT * FROM migrate_repair(:'dir');
SELECT version, name, state FROM migrate_status(:'dir') WHERE version >= 5000;
SELECT version, name FROM migrate_apply(:'dir');

-- validate lists every problem of a folder at once and applies nothing
\c :orig
DROP DATABASE pgm_drift;
CREATE DATABASE pgm_validate;
\c pgm_validate
CREATE EXTENSION pg_migrate;
\! mkdir "$SCRATCH/many" && cd "$SCRATCH/many" && echo 'SELECT 1;' > 1_ok.up.sql && echo 'SELEC 1;' > 2_typo.up.sql && echo 'x' > 2_again.up.sql && echo 'x' > nonsense.up.sql && printf 'SELECT 1;\nROLLBACK;\n' > 3_rollback.up.sql && printf -- '-- \377\n' > 4_binary.up.sql && printf 'SELECT 1;\n\\i x.sql\n' > 5_meta.up.sql && echo 'CREATE TABLE never (id int);' > 6_fine.up.sql && chmod 000 6_fine.up.sql
SELECT file, version, severity, replace(problem, :'scratch', '<scratch>') AS problem
FROM migrate_validate(:'scratch' || '/many') ORDER BY version NULLS FIRST, file;
SELECT to_regclass('never') AS never, count(*) AS history_rows FROM pgmigrate.history;
SELECT * FROM migrate_validate('relative');
SELECT * FROM migrate_validate(NULL);
SELECT * FROM migrate_repair(NULL);

\c :orig
DROP DATABASE pgm_validate;
