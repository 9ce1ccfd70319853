-- Drizzle folders: <idx>_<name>.sql in the order of meta/_journal.json,
-- statements separated by "--> statement-breakpoint".
\getenv abs_srcdir PG_ABS_SRCDIR
\getenv abs_builddir PG_ABS_BUILDDIR
\set fx :abs_srcdir '/test/fixtures'
\set dir :fx '/format_drizzle'
\set scratch :abs_builddir '/results/scratch_format_drizzle'
\setenv SCRATCH :scratch
\set orig :DBNAME
CREATE DATABASE pgm_format_drizzle;
\c pgm_format_drizzle
CREATE EXTENSION pg_migrate;
SELECT set_config('pgm.scratch', :'scratch', false) IS NOT NULL AS scratch_set;
\set try_sql :abs_srcdir '/test/try.sql'
\i :try_sql
\! rm -rf "$SCRATCH" && mkdir -p "$SCRATCH"

\x on
-- bad inputs: a file the journal does not list, a file it lists that is
-- missing, a journal that is not valid JSON, a tag naming another folder
\! mkdir -p "$SCRATCH/extra/meta" && echo 'SELECT 1;' > "$SCRATCH/extra/0000_a.sql" && echo 'SELECT 1;' > "$SCRATCH/extra/0001_b.sql" && echo '{"entries": [{"idx": 0, "when": 1, "tag": "0000_a", "breakpoints": true}]}' > "$SCRATCH/extra/meta/_journal.json"
SELECT * FROM try(format('SELECT migrate_apply(%L)', :'scratch' || '/extra'));
\! mkdir -p "$SCRATCH/missing/meta" && echo 'SELECT 1;' > "$SCRATCH/missing/0000_a.sql" && echo '{"entries": [{"idx": 0, "when": 1, "tag": "0000_a"}, {"idx": 1, "when": 2, "tag": "0001_b"}]}' > "$SCRATCH/missing/meta/_journal.json"
SELECT * FROM try(format('SELECT migrate_apply(%L)', :'scratch' || '/missing'));
\! mkdir -p "$SCRATCH/badjson/meta" && echo 'SELECT 1;' > "$SCRATCH/badjson/0000_a.sql" && printf '{\n  "entries": [\n    {"when": 1, "tag": "0000_a",}\n  ]\n}\n' > "$SCRATCH/badjson/meta/_journal.json"
SELECT * FROM try(format('SELECT migrate_apply(%L)', :'scratch' || '/badjson'));
\! mkdir -p "$SCRATCH/escape/meta" && echo 'SELECT 1;' > "$SCRATCH/escape/0000_a.sql" && echo '{"entries": [{"when": 1, "tag": "../escape/0000_a"}]}' > "$SCRATCH/escape/meta/_journal.json"
SELECT * FROM try(format('SELECT migrate_apply(%L)', :'scratch' || '/escape'));
\x off

SELECT version, name, state FROM migrate_status(:'dir') ORDER BY version;
SELECT version, name FROM migrate_apply(:'dir');
INSERT INTO drizzle_users (name, email) VALUES ('ada', 'ada@example.com');
SELECT conname FROM pg_constraint WHERE conrelid = 'drizzle_posts'::regclass AND contype = 'f';
SELECT indexname FROM pg_indexes WHERE tablename = 'drizzle_users' ORDER BY 1;
-- the key is the journal's "when"
SELECT version, name, state, version_text FROM pgmigrate.history ORDER BY id;
\c :orig
DROP DATABASE pgm_format_drizzle;
