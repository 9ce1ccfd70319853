-- Statements are split by the server's parser: dollar quotes, nested
-- comments, E'' strings and semicolons inside bodies just work.
\getenv abs_srcdir PG_ABS_SRCDIR
\set fx :abs_srcdir '/test/fixtures'
\set orig :DBNAME
CREATE DATABASE pgm_dollar;
\c pgm_dollar
CREATE EXTENSION pg_migrate;

SELECT version, name FROM migrate_apply(:'fx' || '/dollar');
SELECT id, note FROM audit_log ORDER BY id;
SELECT shout('ok');

\c :orig
DROP DATABASE pgm_dollar;
