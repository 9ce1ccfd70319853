-- migrate_lint's static rules: per rule a dangerous statement on a big
-- existing table (error), on a small one (warning), the safe recipe (no
-- finding), a suppressed one (ignored), and the same statement on a table
-- created earlier in the folder (no finding).
\getenv abs_srcdir PG_ABS_SRCDIR
\set fx :abs_srcdir '/test/fixtures'
\set orig :DBNAME
CREATE DATABASE pgm_lint_rules;
\c pgm_lint_rules
CREATE EXTENSION pg_migrate;
CREATE TABLE big (id int PRIMARY KEY, a int, v varchar(10), s text);
INSERT INTO big SELECT g, g, 'v', 's' FROM generate_series(1, 5000) g;
CREATE TABLE small (id int, a int, v varchar(10));
INSERT INTO small VALUES (1, 1, 'v');
CREATE INDEX small_a_idx ON small (a);
CREATE MATERIALIZED VIEW big_mv AS SELECT id, a FROM big;
CREATE SCHEMA old_stuff;
CREATE TYPE mood AS ENUM ('sad');
VACUUM ANALYZE big, small, big_mv;
-- big is about 224 kB, small 8 kB
SET pg_migrate.lint_big_table = '64kB';
SHOW pg_migrate.lint_big_table;

CREATE FUNCTION lint(dir text)
RETURNS TABLE(file text, line integer, rule text, severity text, message text)
LANGUAGE sql AS $$
  SELECT file, line, rule, severity, message
  FROM migrate_lint(current_setting('pgm.fx') || '/' || dir)
$$;
SELECT set_config('pgm.fx', :'fx', false) IS NOT NULL AS fx_set;

SELECT * FROM lint('lint_index');
SELECT * FROM lint('lint_add_column');
SELECT * FROM lint('lint_set_not_null');
SELECT * FROM lint('lint_alter_type');
SELECT * FROM lint('lint_constraint');
SELECT * FROM lint('lint_unique');
SELECT * FROM lint('lint_rename_drop');
SELECT * FROM lint('lint_truncate_backfill');
SELECT * FROM lint('lint_lock_heavy');
SELECT * FROM lint('lint_concurrent');
SELECT * FROM lint('lint_lock_timeout');
SELECT * FROM lint('lint_enum');
SELECT * FROM lint('lint_style');

-- the hint is the safe recipe; the statement is the excerpt
SELECT version, file, line, statement, hint FROM migrate_lint(:'fx' || '/lint_set_not_null')
WHERE severity = 'error';

-- severity follows the size: with the default 10MB, big is small too
RESET pg_migrate.lint_big_table;
SELECT rule, severity FROM lint('lint_alter_type') WHERE file = '1_positive.up.sql';
SET pg_migrate.lint_big_table = '64kB';

-- pending_only (the default) skips what is applied; false lints it all
SELECT version FROM migrate_apply(:'fx' || '/lint_style', target => 1);
SELECT file, rule, severity FROM migrate_lint(:'fx' || '/lint_style');
SELECT file, count(*) FROM migrate_lint(:'fx' || '/lint_style', pending_only => false)
GROUP BY file ORDER BY file;

-- arguments
SELECT * FROM migrate_lint(NULL);
SELECT * FROM migrate_lint(:'fx' || '/lint_style', pending_only => false, trace => true);

\c :orig
DROP DATABASE pgm_lint_rules;
