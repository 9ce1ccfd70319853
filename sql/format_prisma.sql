-- Prisma folders: <timestamp>_<name>/migration.sql and migration_lock.toml;
-- no down migrations.
\getenv abs_srcdir PG_ABS_SRCDIR
\getenv abs_builddir PG_ABS_BUILDDIR
\set fx :abs_srcdir '/test/fixtures'
\set dir :fx '/format_prisma'
\set scratch :abs_builddir '/results/scratch_format_prisma'
\setenv SCRATCH :scratch
\set orig :DBNAME
CREATE DATABASE pgm_format_prisma;
\c pgm_format_prisma
CREATE EXTENSION pg_migrate;
SELECT set_config('pgm.scratch', :'scratch', false) IS NOT NULL AS scratch_set;
\set try_sql :abs_srcdir '/test/try.sql'
\i :try_sql
\! rm -rf "$SCRATCH" && mkdir -p "$SCRATCH"

\x on
-- bad input: a migration folder without migration.sql
\! mkdir -p "$SCRATCH/nosql/20240101000001_a" "$SCRATCH/nosql/20240101000002_b" && echo 'SELECT 1;' > "$SCRATCH/nosql/20240101000001_a/migration.sql" && echo 'SELECT 1;' > "$SCRATCH/nosql/20240101000002_b/down.sql" && touch "$SCRATCH/nosql/migration_lock.toml"
SELECT * FROM try(format('SELECT migrate_apply(%L)', :'scratch' || '/nosql'));
\x off

SELECT version, name, state FROM migrate_status(:'dir') ORDER BY version;
SELECT version, name FROM migrate_apply(:'dir');
INSERT INTO "PrismaUser" (email) VALUES ('ada@example.com');
SELECT prisma_display(u), role FROM "PrismaUser" u;
SELECT version, state, version_text, file FROM pgmigrate.history ORDER BY id;
\c :orig
DROP DATABASE pgm_format_prisma;
