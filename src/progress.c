/*-------------------------------------------------------------------------
 *
 * progress.c
 *	  Every statement on pgmigrate.progress.
 *
 * A no-transaction migration runs one statement per transaction; the
 * worker records after each how many are done, in that statement's own
 * last transaction (apply_worker.c), so that a retry of the same file
 * resumes after them.  A row is keyed by version and direction and
 * carries the checksum of the file it was recorded for: a row recorded for
 * other contents of the file is ignored.
 *
 * What is read back is validated before use: the count is an index into
 * the file's statements, and a count out of range would make the worker
 * index outside them or record the migration applied without running it.
 *
 * All SQL here is schema-qualified, with qualified operators, and runs
 * with search_path pinned to pg_catalog, pg_temp (pgm_safe_sql_begin).
 *
 * IDENTIFICATION
 *	  src/progress.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "progress.h"
#include "safe_sql.h"
#include "utils/builtins.h"

static void
refuse_row(const PgmFile *file, const char *detail)
{
	ereport(ERROR,
			(errcode(ERRCODE_DATA_CORRUPTED),
			 errmsg("invalid progress recorded for migration " INT64_FORMAT " \"%s\"",
					file->version, file->name),
			 errdetail_internal("%s", detail),
			 errhint("Check which statements of migration file \"%s\" took effect, then call migrate_repair() on its folder to clear the progress; the migration then starts again at its first statement.",
					 file->filename)));
}

/*
 * Runs sql, whose $1 is a version and $2 a direction, as the table's owner
 * with search_path pinned; its result stays in SPI_tuptable.
 */
static void
exec_keyed(const char *sql, int64 version, const char *direction, bool read_only,
		   int expected, const char *what)
{
	Oid			types[2] = {INT8OID, TEXTOID};
	Datum		values[2];
	PgmAsOwner	owner;

	pgm_as_bookkeeping_owner_begin("progress", &owner);
	values[0] = Int64GetDatum(version);
	values[1] = CStringGetTextDatum(direction);
	pgm_spi_check(SPI_execute_with_args(sql, 2, types, values, NULL, read_only, 0),
				  expected, what);
	pgm_as_owner_end(&owner);
}

bool
pgm_progress_exists(int64 version, const char *direction)
{
	MemoryContext caller = CurrentMemoryContext;
	bool		found;

	exec_keyed("SELECT 1 FROM pgmigrate.progress "
			   "WHERE version OPERATOR(pg_catalog.=) $1 "
			   "AND direction OPERATOR(pg_catalog.=) $2",
			   version, direction, true, SPI_OK_SELECT, "reading pgmigrate.progress");
	found = SPI_processed > 0;
	SPI_freetuptable(SPI_tuptable);
	/* SPI returns in its own context: callers allocate in theirs */
	MemoryContextSwitchTo(caller);
	return found;
}

int
pgm_progress_read(const PgmFile *file, const char *direction, int nstmts)
{
	int			result = PGM_PROGRESS_NONE;

	exec_keyed("SELECT statements_done, checksum FROM pgmigrate.progress "
			   "WHERE version OPERATOR(pg_catalog.=) $1 "
			   "AND direction OPERATOR(pg_catalog.=) $2",
			   file->version, direction, true, SPI_OK_SELECT, "reading pgmigrate.progress");

	if (SPI_processed > 1)
		refuse_row(file, psprintf(_("pgmigrate.progress holds " UINT64_FORMAT " rows for direction \"%s\" of this version."),
								  SPI_processed, direction));
	if (SPI_processed == 1)
	{
		TupleDesc	desc = SPI_tuptable->tupdesc;
		HeapTuple	tup = SPI_tuptable->vals[0];
		char	   *checksum = SPI_getvalue(tup, desc, 2);
		bool		isnull;
		int32		done;

		if (SPI_gettypeid(desc, 1) != INT4OID)
			refuse_row(file, psprintf(_("Column statements_done of pgmigrate.progress has type %s instead of integer."),
									  format_type_be(SPI_gettypeid(desc, 1))));
		done = DatumGetInt32(SPI_getbinval(tup, desc, 1, &isnull));
		if (isnull)
			refuse_row(file, _("Its statement count is null."));

		if (checksum == NULL || strcmp(checksum, file->checksum) != 0)
			ereport(LOG,
					(errmsg("ignoring the progress recorded for migration " INT64_FORMAT " \"%s\"",
							file->version, file->name),
					 errdetail("It was recorded for other contents of migration file \"%s\"; the migration starts again at its first statement.",
							   file->filename)));
		else if (done < 0 || done >= nstmts)
			refuse_row(file, psprintf(_("It says %d statements are done, but migration file \"%s\" has %d and a finished migration keeps no progress."),
									  done, file->filename, nstmts));
		else
			result = done;
	}
	return result;
}

void
pgm_progress_write(const PgmFile *file, const char *direction, int done)
{
	Oid			types[4] = {INT8OID, TEXTOID, TEXTOID, INT4OID};
	Datum		values[4];
	PgmAsOwner	owner;
	int			rc;

	Assert(done >= 0);
	pgm_as_bookkeeping_owner_begin("progress", &owner);
	values[0] = Int64GetDatum(file->version);
	values[1] = CStringGetTextDatum(direction);
	values[2] = CStringGetTextDatum(file->checksum);
	values[3] = Int32GetDatum(done);
	rc = SPI_execute_with_args("INSERT INTO pgmigrate.progress "
							   "(version, direction, checksum, statements_done) "
							   "VALUES ($1, $2, $3, $4) "
							   "ON CONFLICT (version, direction) DO UPDATE "
							   "SET checksum = EXCLUDED.checksum, "
							   "statements_done = EXCLUDED.statements_done, "
							   "updated_at = pg_catalog.clock_timestamp()",
							   4, types, values, NULL, false, 0);
	pgm_spi_check(rc, SPI_OK_INSERT, "recording the progress of a migration");
	pgm_as_owner_end(&owner);
}

void
pgm_progress_write_batch(const PgmFile *file, int64 batches, int64 rows)
{
	Oid			types[5] = {INT8OID, TEXTOID, INT8OID, INT8OID, INT4OID};
	Datum		values[5];
	PgmAsOwner	owner;
	int			rc;

	pgm_as_bookkeeping_owner_begin("progress", &owner);
	values[0] = Int64GetDatum(file->version);
	values[1] = CStringGetTextDatum(file->checksum);
	values[2] = Int64GetDatum(batches);
	values[3] = Int64GetDatum(rows);
	values[4] = Int32GetDatum(MyProcPid);
	/* a new run (another backend) starts its own count of time */
	rc = SPI_execute_with_args("INSERT INTO pgmigrate.progress AS p "
							   "(version, direction, checksum, statements_done, "
							   "batches, rows_changed, pid, started_at) "
							   "VALUES ($1, 'up', $2, 0, $3, $4, $5, pg_catalog.clock_timestamp()) "
							   "ON CONFLICT (version, direction) DO UPDATE "
							   "SET checksum = EXCLUDED.checksum, statements_done = 0, "
							   "batches = EXCLUDED.batches, rows_changed = EXCLUDED.rows_changed, "
							   "started_at = CASE WHEN p.pid OPERATOR(pg_catalog.=) EXCLUDED.pid "
							   "AND p.started_at IS NOT NULL "
							   "THEN p.started_at ELSE EXCLUDED.started_at END, "
							   "pid = EXCLUDED.pid, "
							   "updated_at = pg_catalog.clock_timestamp()",
							   5, types, values, NULL, false, 0);
	pgm_spi_check(rc, SPI_OK_INSERT, "recording the progress of a batch migration");
	pgm_as_owner_end(&owner);
}

void
pgm_progress_clear(int64 version, const char *direction)
{
	exec_keyed("DELETE FROM pgmigrate.progress "
			   "WHERE version OPERATOR(pg_catalog.=) $1 "
			   "AND direction OPERATOR(pg_catalog.=) $2",
			   version, direction, false, SPI_OK_DELETE,
			   "clearing the progress of a migration");
}

uint64
pgm_progress_clear_all(PgmProgressCallback cleared, void *arg)
{
	uint64		n;
	uint64		i;
	PgmAsOwner	owner;
	int			rc;

	pgm_as_bookkeeping_owner_begin("progress", &owner);
	rc = SPI_execute("DELETE FROM pgmigrate.progress "
					 "RETURNING version::pg_catalog.int8, direction, "
					 "statements_done::pg_catalog.int4",
					 false, 0);
	pgm_spi_check(rc, SPI_OK_DELETE_RETURNING, "clearing the progress of migrations");
	n = SPI_processed;
	for (i = 0; cleared != NULL && i < n; i++)
	{
		HeapTuple	tup = SPI_tuptable->vals[i];
		TupleDesc	desc = SPI_tuptable->tupdesc;
		bool		isnull;
		int64		version = DatumGetInt64(SPI_getbinval(tup, desc, 1, &isnull));
		char	   *direction = SPI_getvalue(tup, desc, 2);
		Datum		done = SPI_getbinval(tup, desc, 3, &isnull);

		/* only reported, never used to resume: a null is shown as 0 */
		cleared(version, direction ? direction : "", isnull ? 0 : DatumGetInt32(done), arg);
	}
	pgm_as_owner_end(&owner);
	return n;
}
