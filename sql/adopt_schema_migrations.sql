-- A database migrated by golang-migrate or Encore before: its
-- schema_migrations version is honoured, in and out.
\getenv abs_srcdir PG_ABS_SRCDIR
\set fx :abs_srcdir '/test/fixtures'
\set orig :DBNAME
CREATE DATABASE pgm_adopt;
\c pgm_adopt

-- what golang-migrate left: versions 1 and 2 applied, plus a column a
-- later tool added to its table
CREATE TABLE schema_migrations (version bigint NOT NULL PRIMARY KEY, dirty boolean NOT NULL);
CREATE TABLE adopt_1 (id int);
CREATE TABLE adopt_2 (id int);
INSERT INTO schema_migrations (version, dirty) VALUES (2, false);
ALTER TABLE schema_migrations ADD COLUMN note text DEFAULT 'extra';
CREATE EXTENSION pg_migrate;

SELECT version, name, state FROM migrate_status(:'fx' || '/adopt');
-- 1 and 2 are baselined, not re-run; 3 and 4 are applied
SELECT version, name FROM migrate_apply(:'fx' || '/adopt');
SELECT version, name, state, duration_ms IS NULL AS not_run FROM pgmigrate.history ORDER BY id;
TABLE schema_migrations;

-- Encore's manual roll back: revert the schema, then set the version back
DROP TABLE adopt_4;
DROP TABLE adopt_3;
UPDATE schema_migrations SET version = 2;
SELECT version, name, state FROM migrate_status(:'fx' || '/adopt');
SELECT version, name FROM migrate_apply(:'fx' || '/adopt');
SELECT version, state FROM pgmigrate.history ORDER BY id;
TABLE schema_migrations;

\c :orig
DROP DATABASE pgm_adopt;

-- golang-migrate failed part-way through version 3 and left it dirty: the
-- call is refused with the way out, and status shows the failure
CREATE DATABASE pgm_dirty;
\c pgm_dirty
CREATE TABLE schema_migrations (version bigint NOT NULL PRIMARY KEY, dirty boolean NOT NULL);
INSERT INTO schema_migrations (version, dirty) VALUES (3, true);
CREATE TABLE adopt_1 (id int);
CREATE TABLE adopt_2 (id int);
CREATE TABLE adopt_3 (id int);
CREATE EXTENSION pg_migrate;
SELECT version, name, state FROM migrate_status(:'fx' || '/adopt');
SELECT * FROM migrate_apply(:'fx' || '/adopt');
SELECT count(*) FROM pgmigrate.history;
-- golang-migrate's "force 3" after a human finished version 3 by hand
UPDATE schema_migrations SET dirty = false;
SELECT version, name FROM migrate_apply(:'fx' || '/adopt');
SELECT version, state FROM pgmigrate.history ORDER BY id;
TABLE schema_migrations;

-- golang-migrate ran every migration down (no row left): all are pending
DROP TABLE adopt_1, adopt_2, adopt_3, adopt_4;
DELETE FROM schema_migrations;
SELECT version, name, state FROM migrate_status(:'fx' || '/adopt');
SELECT version, name FROM migrate_apply(:'fx' || '/adopt');
TABLE schema_migrations;

\c :orig
DROP DATABASE pgm_dirty;
