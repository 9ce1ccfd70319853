/*-------------------------------------------------------------------------
 *
 * track_golang.c
 *	  golang-migrate's public.schema_migrations (also Encore's): one row,
 *	  the highest applied version and whether it failed part-way.
 *
 * Its contract, from golang-migrate's database/postgres driver:
 *	 - CREATE TABLE schema_migrations (version bigint NOT NULL PRIMARY KEY,
 *	   dirty boolean NOT NULL);
 *	 - SetVersion deletes every row and inserts (version, dirty) in one
 *	   transaction; no row means no migration applied (NilVersion);
 *	 - the migration lock is pg_advisory_lock(key) with key derived from the
 *	   database name, the schema and the table name (lock_key below).
 *
 * Every query runs with a pinned search_path (safe_sql.c) and names its
 * columns, so columns that migrations add to the table are tolerated.
 *
 * IDENTIFICATION
 *	  src/track_golang.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/namespace.h"
#include "catalog/pg_type.h"
#include "commands/dbcommands.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "safe_sql.h"
#include "track.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/pg_crc.h"

#define GOLANG_MIGRATE_SALT 1486364155U

static void
golang_read(PgmTracked *t)
{
	MemoryContext caller = CurrentMemoryContext;
	Oid			nsp = get_namespace_oid("public", true);
	int			nestlevel;
	int			rc;

	t->exists = OidIsValid(nsp) &&
		OidIsValid(get_relname_relid("schema_migrations", nsp));
	t->exact = false;
	if (!t->exists)
		return;

	nestlevel = pgm_safe_sql_begin();
	rc = SPI_execute("SELECT version, dirty FROM public.schema_migrations "
					 "ORDER BY version DESC LIMIT 1", false, 0);
	pgm_spi_check(rc, SPI_OK_SELECT, "reading public.schema_migrations");
	if (SPI_processed == 1)
	{
		bool		isnull;
		bool		dirty;

		t->has_upto = true;
		t->upto = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0],
											  SPI_tuptable->tupdesc, 1, &isnull));
		dirty = DatumGetBool(SPI_getbinval(SPI_tuptable->vals[0],
										   SPI_tuptable->tupdesc, 2, &isnull));
		t->dirty = dirty && !isnull;
		t->dirty_version = t->upto;
	}
	SPI_freetuptable(SPI_tuptable);
	pgm_safe_sql_end(nestlevel);
	MemoryContextSwitchTo(caller);
}

/* SetVersion: the table holds exactly (version, dirty). */
static void
golang_set(PgmTracked *t, int64 version, bool dirty)
{
	MemoryContext caller = CurrentMemoryContext;
	Oid			argtypes[2] = {INT8OID, BOOLOID};
	Datum		values[2];
	int			nestlevel;
	int			rc;

	nestlevel = pgm_safe_sql_begin();
	if (!t->exists)
	{
		rc = SPI_execute("CREATE TABLE public.schema_migrations ("
						 "version bigint NOT NULL PRIMARY KEY, "
						 "dirty boolean NOT NULL)", false, 0);
		pgm_spi_check(rc, SPI_OK_UTILITY, "creating public.schema_migrations");
	}
	else
	{
		rc = SPI_execute("DELETE FROM public.schema_migrations", false, 0);
		pgm_spi_check(rc, SPI_OK_DELETE, "updating public.schema_migrations");
	}
	values[0] = Int64GetDatum(version);
	values[1] = BoolGetDatum(dirty);
	rc = SPI_execute_with_args("INSERT INTO public.schema_migrations (version, dirty) "
							   "VALUES ($1, $2)",
							   2, argtypes, values, NULL, false, 0);
	pgm_spi_check(rc, SPI_OK_INSERT, "updating public.schema_migrations");
	pgm_safe_sql_end(nestlevel);
	MemoryContextSwitchTo(caller);

	t->exists = t->has_upto = true;
	t->upto = version;
	t->dirty = dirty;
	t->dirty_version = version;
}

static void
golang_write_applied(PgmTracked *t, int64 version)
{
	golang_set(t, version, false);
}

static void
golang_write_failed(PgmTracked *t, int64 version)
{
	golang_set(t, version, true);
}

/*
 * golang-migrate v4's key: CRC-32 (IEEE) of "public\0schema_migrations\0"
 * and the database name, times a salt, as uint32.  Older golang-migrate
 * versions hashed the database name alone; they are not excluded.
 */
static int64
golang_lock_key(void)
{
	const char *parts[3] = {"public", "schema_migrations", NULL};
	pg_crc32	crc;
	int			i;

	parts[2] = get_database_name(MyDatabaseId);
	if (parts[2] == NULL)
		elog(ERROR, "could not find the current database's name");

	INIT_TRADITIONAL_CRC32(crc);
	for (i = 0; i < 3; i++)
	{
		if (i > 0)
			COMP_TRADITIONAL_CRC32(crc, "", 1);	/* the '\0' separator */
		COMP_TRADITIONAL_CRC32(crc, parts[i], strlen(parts[i]));
	}
	FIN_TRADITIONAL_CRC32(crc);
	return (int64) (uint32) (crc * GOLANG_MIGRATE_SALT);
}

const PgmTracker pgm_tracker_golang = {
	.name = "golang-migrate",
	.table = "public.schema_migrations",
	.read = golang_read,
	.write_applied = golang_write_applied,
	.write_failed = golang_write_failed,
	.lock_key = golang_lock_key,
};
