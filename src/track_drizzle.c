/*-------------------------------------------------------------------------
 *
 * track_drizzle.c
 *	  Drizzle's drizzle.__drizzle_migrations: one row per migration, but
 *	  read as a watermark.
 *
 * Its contract, from drizzle-orm (pg-core/dialect's migrate, migrator's
 * readMigrationFiles):
 *	 - CREATE SCHEMA IF NOT EXISTS "drizzle"; CREATE TABLE IF NOT EXISTS
 *	   "drizzle"."__drizzle_migrations" (id SERIAL PRIMARY KEY, hash text
 *	   NOT NULL, created_at bigint), before anything runs;
 *	 - after each migration, in the one transaction of the run: insert
 *	   ("hash", "created_at") values (sha256 hex of the file's contents,
 *	   the journal entry's "when");
 *	 - what is applied: only the newest row is read, and every journal
 *	   entry whose "when" is not above its created_at counts as applied;
 *	 - the hash is never compared, so Drizzle does not see a modified file
 *	   (pg_migrate's history still does); no advisory lock (pg_migrate
 *	   takes its own); a failure records nothing.
 * The folder's version key is "when" (format_drizzle.c), so the watermark
 * is PgmTracked's implied form ("everything up to V").
 *
 * IDENTIFICATION
 *	  src/track_drizzle.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "safe_sql.h"
#include "track_rows.h"
#include "utils/builtins.h"
#include "utils/memutils.h"

static const PgmToolTable drizzle_table = {
	.tool = "Drizzle",
	.schema = "drizzle",
	.relname = "__drizzle_migrations",
	.shape = PGM_SHAPE_DRIZZLE,
	.columns = "id serial, hash text, created_at bigint",
	.create = "\n\t\t\tCREATE TABLE IF NOT EXISTS %1$s (\n"
	"\t\t\t\tid SERIAL PRIMARY KEY,\n"
	"\t\t\t\thash text NOT NULL,\n"
	"\t\t\t\tcreated_at bigint\n"
	"\t\t\t)\n\t\t",
	.create_schema = true,
};

static void
drizzle_read(PgmTracked *t)
{
	PgmAsOwner	owner;

	t->exact = false;
	if (!pgm_rows_select(t, &drizzle_table,
						 "SELECT created_at::pg_catalog.int8 FROM %s "
						 "WHERE created_at IS NOT NULL ORDER BY created_at DESC LIMIT 1",
						 "reading Drizzle's __drizzle_migrations", &owner))
		return;
	if (SPI_processed == 1)
	{
		bool		isnull;

		t->has_upto = true;
		t->upto = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0],
											  SPI_tuptable->tupdesc, 1, &isnull));
	}
	pgm_rows_select_end(&owner);
}

static void
drizzle_write_begin(PgmTracked *t, int64 version)
{
	(void) pgm_rows_ensure(t, &drizzle_table);
}

static void
drizzle_write_nothing(PgmTracked *t)
{
}

static void
drizzle_write_failed(PgmTracked *t, int64 version)
{
}

static void
drizzle_write_row(PgmTracked *t, PgmFile *file, int64 elapsed_us)
{
	Oid			relid = pgm_rows_ensure(t, &drizzle_table);
	Oid			types[2] = {TEXTOID, INT8OID};
	Datum		values[2];
	int			rc;

	/* sha256 of the file's contents: pg_migrate's own checksum */
	values[0] = CStringGetTextDatum(file->checksum);
	values[1] = Int64GetDatum(file->version);
	rc = pgm_rows_exec(relid,
					   psprintf("insert into %s (\"hash\", \"created_at\") values($1, $2)",
								pgm_rows_qualified(&drizzle_table)),
					   2, types, values, NULL);
	pgm_spi_check(rc, SPI_OK_INSERT, "writing Drizzle's __drizzle_migrations");
	if (!t->has_upto || file->version > t->upto)
	{
		t->has_upto = true;
		t->upto = file->version;
	}
}

const PgmTracker pgm_tracker_drizzle = {
	.name = "Drizzle",
	.table = "drizzle.__drizzle_migrations",
	.read = drizzle_read,
	.write_begin = drizzle_write_begin,
	.write_restore = drizzle_write_nothing,
	.write_failed = drizzle_write_failed,
	.lock_key = pgm_rows_own_lock_key,
	.per_migration = true,
	.write_row = drizzle_write_row,
};
