/*-------------------------------------------------------------------------
 *
 * track_goose.c
 *	  goose's public.goose_db_version: one row per migration applied (and
 *	  per migration reverted, by older goose), and its version 0 row.
 *
 * Its contract, from pressly/goose (internal/dialect/dialectquery/
 * postgres.go, the provider's ensureVersionTable, lock/):
 *	 - CREATE TABLE goose_db_version (id serial NOT NULL, version_id bigint
 *	   NOT NULL, is_applied boolean NOT NULL, tstamp timestamp NULL default
 *	   now(), PRIMARY KEY(id)), and in the same transaction the row
 *	   (version_id 0, is_applied true), before anything runs;
 *	 - after a migration runs, in its transaction: INSERT (version_id,
 *	   is_applied) VALUES (v, true); a down deletes the version's rows
 *	   (goose before v3.16 inserted (v, false) instead);
 *	 - what is applied: for each version the row with the highest id
 *	   decides (ListMigrations orders by id DESC); version 0 is no
 *	   migration;
 *	 - a failure records nothing (the transaction rolls back; a NO
 *	   TRANSACTION file that fails part-way leaves no row);
 *	 - the session locker's pg_advisory_lock(5887940537704921958), the
 *	   CRC-64 (ECMA) of "goose".
 * goose keeps no checksum.
 *
 * IDENTIFICATION
 *	  src/track_goose.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "safe_sql.h"
#include "track_rows.h"
#include "utils/memutils.h"

#define GOOSE_LOCK_ID INT64CONST(5887940537704921958)

static const PgmToolTable goose_table = {
	.tool = "goose",
	.schema = "public",
	.relname = "goose_db_version",
	.shape = PGM_SHAPE_GOOSE,
	.columns = "id serial, version_id bigint, is_applied boolean, tstamp timestamp",
	.create = "CREATE TABLE %1$s (\n"
	"\t\tid serial NOT NULL,\n"
	"\t\tversion_id bigint NOT NULL,\n"
	"\t\tis_applied boolean NOT NULL,\n"
	"\t\ttstamp timestamp NULL default now(),\n"
	"\t\tPRIMARY KEY(id)\n"
	"\t)",
	.seed = "INSERT INTO %1$s (version_id, is_applied) VALUES (0, true)",
};

static void
goose_read(PgmTracked *t)
{
	PgmAsOwner	owner;
	uint64		i;

	t->exact = true;
	if (!pgm_rows_select(t, &goose_table,
						 "SELECT DISTINCT ON (version_id) version_id::pg_catalog.int8, is_applied "
						 "FROM %s ORDER BY version_id, id DESC",
						 "reading goose's version table", &owner))
		return;
	for (i = 0; i < SPI_processed; i++)
	{
		bool		isnull;
		int64		version = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[i],
														  SPI_tuptable->tupdesc, 1, &isnull));
		bool		applied = DatumGetBool(SPI_getbinval(SPI_tuptable->vals[i],
														 SPI_tuptable->tupdesc, 2, &isnull));

		if (version > 0 && applied && !isnull)
			pgm_rows_add(t, version, NULL);
	}
	pgm_rows_select_end(&owner);
	pgm_rows_finish(t);
}

static void
goose_write_begin(PgmTracked *t, int64 version)
{
	(void) pgm_rows_ensure(t, &goose_table);
}

static void
goose_write_nothing(PgmTracked *t)
{
}

static void
goose_write_failed(PgmTracked *t, int64 version)
{
}

static void
goose_write_row(PgmTracked *t, PgmFile *file, int64 elapsed_us)
{
	Oid			relid = pgm_rows_ensure(t, &goose_table);
	Oid			types[1] = {INT8OID};
	Datum		values[1];
	int			rc;

	values[0] = Int64GetDatum(file->version);
	rc = pgm_rows_exec(relid,
					   psprintf("INSERT INTO %s (version_id, is_applied) VALUES ($1, true)",
								pgm_rows_qualified(&goose_table)),
					   1, types, values, NULL);
	pgm_spi_check(rc, SPI_OK_INSERT, "writing goose's version table");
}

static int64
goose_lock_key(void)
{
	return GOOSE_LOCK_ID;
}

/* goose's down: DELETE FROM goose_db_version WHERE version_id = $1 */
static void
goose_write_reverted(PgmTracked *t, int64 version, bool has_prev, int64 prev)
{
	pgm_rows_delete(t, &goose_table, "version_id", INT8OID, Int64GetDatum(version));
}

const PgmTracker pgm_tracker_goose = {
	.name = "goose",
	.table = "public.goose_db_version",
	.read = goose_read,
	.write_begin = goose_write_begin,
	.write_restore = goose_write_nothing,
	.write_failed = goose_write_failed,
	.lock_key = goose_lock_key,
	.per_migration = true,
	.write_row = goose_write_row,
	.write_reverted = goose_write_reverted,
};
