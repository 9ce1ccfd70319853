-- Dropping the extension removes its objects; schema_migrations is left for
-- golang-migrate and Encore (it is not part of the extension).
DROP EXTENSION pg_migrate;
SELECT count(*) FROM pg_namespace WHERE nspname = 'pgmigrate';
SELECT count(*) FROM pg_proc WHERE proname LIKE 'migrate%';
