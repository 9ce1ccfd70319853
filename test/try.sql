-- try(sql): runs a statement and shows its outcome as a row, with the
-- scratch folder's absolute path replaced by <scratch> so that expected
-- output does not depend on where the tests run.  location is the
-- "migration file ..." line of the error's context, if any.
CREATE FUNCTION try(sql text)
RETURNS TABLE(sqlstate text, message text, detail text, hint text, location text)
LANGUAGE plpgsql AS $$
DECLARE
	s text; m text; d text; h text; c text; l text;
	scratch text := current_setting('pgm.scratch', true);
BEGIN
	EXECUTE sql;
	RETURN QUERY SELECT 'ok'::text, NULL::text, NULL::text, NULL::text, NULL::text;
EXCEPTION WHEN OTHERS THEN
	GET STACKED DIAGNOSTICS s = RETURNED_SQLSTATE, m = MESSAGE_TEXT,
		d = PG_EXCEPTION_DETAIL, h = PG_EXCEPTION_HINT, c = PG_EXCEPTION_CONTEXT;
	SELECT string_agg(x, E'\n') INTO l
	FROM regexp_split_to_table(c, E'\n') AS x WHERE x LIKE 'migration file %';
	IF scratch IS NOT NULL AND scratch <> '' THEN
		m := replace(m, scratch, '<scratch>');
		d := replace(d, scratch, '<scratch>');
		h := replace(h, scratch, '<scratch>');
	END IF;
	RETURN QUERY SELECT s, m, NULLIF(d, ''), NULLIF(h, ''), l;
END
$$;
