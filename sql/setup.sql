-- The extension installs and its objects are where the README says.
CREATE EXTENSION pg_migrate;
\dx pg_migrate
SELECT proname, pg_get_function_arguments(oid) AS args,
       pg_get_function_result(oid) AS result
FROM pg_proc WHERE proname LIKE 'migrate%' ORDER BY proname, args;
\d pgmigrate.history
-- PUBLIC may not call the functions; pg_read_server_files may
SELECT p.proname, has_function_privilege('public', p.oid, 'EXECUTE') AS public_exec,
       has_function_privilege('pg_read_server_files', p.oid, 'EXECUTE') AS read_files_exec
FROM pg_proc p WHERE proname LIKE 'migrate%' ORDER BY proname, pg_get_function_arguments(p.oid);
-- the setting exists and is bounded by PostgreSQL's 1GB text limit
SHOW pg_migrate.max_file_size;
SET pg_migrate.max_file_size = '2GB';
SET pg_migrate.no_such_setting = 1;
