-- Helpers of the Flyway tests, written from Flyway's source, not from
-- pg_migrate's C code (needs track_helpers.sql's crc32).
-- flyway_sum(file): Flyway's checksum of a file of the folder in setting
-- pgm.dir (ChecksumCalculator): CRC-32 of the bytes without BOM, CR, LF.
CREATE FUNCTION flyway_sum(f text) RETURNS integer LANGUAGE sql AS $$
	SELECT crc32(decode(replace(replace(replace(encode(pg_read_binary_file(current_setting('pgm.dir') || '/' || f), 'hex'),
		'efbbbf', ''), '0d', ''), '0a', ''), 'hex'))
$$;
-- create_flyway_schema_history(): the table exactly as Flyway creates it
-- (PostgreSQLDatabase.getRawCreateScript).
CREATE PROCEDURE create_flyway_schema_history() LANGUAGE plpgsql AS $proc$
BEGIN
	CREATE TABLE "public"."flyway_schema_history" (
	    "installed_rank" INT NOT NULL,
	    "version" VARCHAR(50),
	    "description" VARCHAR(200) NOT NULL,
	    "type" VARCHAR(20) NOT NULL,
	    "script" VARCHAR(1000) NOT NULL,
	    "checksum" INTEGER,
	    "installed_by" VARCHAR(100) NOT NULL,
	    "installed_on" TIMESTAMP NOT NULL DEFAULT now(),
	    "execution_time" INTEGER NOT NULL,
	    "success" BOOLEAN NOT NULL
	);
	ALTER TABLE "public"."flyway_schema_history" ADD CONSTRAINT "flyway_schema_history_pk" PRIMARY KEY ("installed_rank");
	CREATE INDEX "flyway_schema_history_s_idx" ON "public"."flyway_schema_history" ("success");
END
$proc$;
