/*-------------------------------------------------------------------------
 *
 * track_diesel.c
 *	  diesel's public.__diesel_schema_migrations: one row per migration,
 *	  its version the folder name's digits.
 *
 * Its contract, from diesel-rs/diesel (diesel_migrations'
 * setup_migration_table.sql, migrations_internals' version_from_string):
 *	 - CREATE TABLE IF NOT EXISTS __diesel_schema_migrations (version
 *	   VARCHAR(50) PRIMARY KEY NOT NULL, run_on TIMESTAMP NOT NULL DEFAULT
 *	   CURRENT_TIMESTAMP), before anything runs;
 *	 - after a migration runs, in its transaction (unless
 *	   run_in_transaction = false): INSERT INTO __diesel_schema_migrations
 *	   (version) VALUES ($1), the version being the folder name before the
 *	   first "_" with every "-" dropped (2019-02-26-002946 is
 *	   "20190226002946"), compared as text;
 *	 - a failure records nothing; diesel takes no advisory lock (pg_migrate
 *	   takes its own) and keeps no checksum.
 *
 * IDENTIFICATION
 *	  src/track_diesel.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "safe_sql.h"
#include "track_rows.h"
#include "utils/builtins.h"

static const PgmToolTable diesel_table = {
	.tool = "diesel",
	.schema = "public",
	.relname = "__diesel_schema_migrations",
	.shape = PGM_SHAPE_DIESEL,
	.columns = "version character varying(50), run_on timestamp",
	.create = "CREATE TABLE IF NOT EXISTS %1$s (\n"
	"       version VARCHAR(50) PRIMARY KEY NOT NULL,\n"
	"       run_on TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP\n"
	")",
};

static void
diesel_read(PgmTracked *t)
{
	pgm_track_read_texts(t, &diesel_table, true);
}

static void
diesel_write_begin(PgmTracked *t, int64 version)
{
	(void) pgm_rows_ensure(t, &diesel_table);
}

static void
diesel_write_nothing(PgmTracked *t)
{
}

static void
diesel_write_failed(PgmTracked *t, int64 version)
{
}

/* The version diesel records: the folder name's version, dashes dropped. */
static Datum
diesel_version(const PgmFile *file)
{
	char	   *version = palloc(strlen(file->version_text) + 1);
	char	   *w = version;
	const char *r;

	for (r = file->version_text; *r; r++)
		if (*r != '-')
			*w++ = *r;
	*w = '\0';
	return CStringGetTextDatum(version);
}

static void
diesel_write_row(PgmTracked *t, PgmFile *file, int64 elapsed_us)
{
	Oid			relid = pgm_rows_ensure(t, &diesel_table);
	Oid			types[1] = {TEXTOID};
	Datum		values[1];
	int			rc;

	values[0] = diesel_version(file);
	rc = pgm_rows_exec(relid,
					   psprintf("INSERT INTO %s (version) VALUES ($1)",
								pgm_rows_qualified(&diesel_table)),
					   1, types, values, NULL);
	pgm_spi_check(rc, SPI_OK_INSERT, "writing diesel's migration table");
}

/* diesel's revert: DELETE FROM __diesel_schema_migrations WHERE version = $1 */
static void
diesel_write_reverted(PgmTracked *t, int64 version, bool has_prev, int64 prev)
{
	PgmFile    *file = pgm_rows_file(t, version);

	if (file == NULL)
		elog(ERROR, "no migration file for version " INT64_FORMAT, version);
	pgm_rows_delete(t, &diesel_table, "version", TEXTOID, diesel_version(file));
}

const PgmTracker pgm_tracker_diesel = {
	.name = "diesel",
	.table = "public.__diesel_schema_migrations",
	.read = diesel_read,
	.write_begin = diesel_write_begin,
	.write_restore = diesel_write_nothing,
	.write_failed = diesel_write_failed,
	.lock_key = pgm_rows_own_lock_key,
	.per_migration = true,
	.write_row = diesel_write_row,
	.write_reverted = diesel_write_reverted,
};
