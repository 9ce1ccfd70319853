-- The naive contender: what one might write instead of pg_migrate.  Created
-- in each bench database (not part of the extension).  One call lists the
-- folder, sorts the up files by their numeric version, skips versions its
-- tracking table already has, and EXECUTEs each whole file -- all in the
-- caller's transaction, with no checksums, subtransactions, parsing or
-- error positions.
CREATE TABLE naive_migrations (
	version		bigint PRIMARY KEY,
	applied_at	timestamptz NOT NULL DEFAULT clock_timestamp()
);

CREATE FUNCTION naive_apply(dir text) RETURNS integer
LANGUAGE plpgsql AS $fn$
DECLARE
	f		text;
	v		bigint;
	n		integer := 0;
BEGIN
	FOR f, v IN
		SELECT name, split_part(name, '_', 1)::bigint
		  FROM pg_ls_dir(dir) AS name
		 WHERE name ~ '^[0-9]+_.*\.up\.sql$'
		 ORDER BY 2
	LOOP
		CONTINUE WHEN EXISTS (SELECT 1 FROM naive_migrations m WHERE m.version = v);
		EXECUTE pg_read_file(dir || '/' || f);
		INSERT INTO naive_migrations (version) VALUES (v);
		n := n + 1;
	END LOOP;
	RETURN n;
END
$fn$;
