-- Helpers of the tracking-table tests, computed independently of
-- pg_migrate's C code.
-- crc32(bytes): CRC-32 (IEEE 802.3, reflected 0xEDB88320), as Java's
-- java.util.zip.CRC32 and Go's hash/crc32 compute it, as a signed int
-- (Flyway stores (int) crc32.getValue()).
CREATE FUNCTION crc32(data bytea) RETURNS integer
LANGUAGE plpgsql IMMUTABLE STRICT AS $$
DECLARE
	crc bigint := 4294967295;
	i int;
	j int;
BEGIN
	FOR i IN 0 .. length(data) - 1 LOOP
		crc := crc # get_byte(data, i);
		FOR j IN 1 .. 8 LOOP
			IF crc & 1 = 1 THEN
				crc := (crc >> 1) # 3988292384;
			ELSE
				crc := crc >> 1;
			END IF;
		END LOOP;
	END LOOP;
	crc := crc # 4294967295;
	RETURN (CASE WHEN crc >= 2147483648 THEN crc - 4294967296 ELSE crc END)::integer;
END
$$;
-- the advisory lock this session holds with objsubid 1 (pg_advisory_lock(bigint))
CREATE FUNCTION held_lock_key() RETURNS bigint LANGUAGE sql AS $$
	SELECT (classid::bigint << 32) | objid::bigint FROM pg_locks
	WHERE locktype = 'advisory' AND pid = pg_backend_pid() AND objsubid = 1 AND granted
	ORDER BY 1 LIMIT 1
$$;
