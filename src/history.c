/*-------------------------------------------------------------------------
 *
 * history.c
 *	  Read and write pgmigrate.history.
 *
 * pgmigrate.history is an append-only log: one row per event (applied,
 * baselined from another tool's table, failed, reverted); a version's state
 * is its newest row.  The tool's own tracking table is track.h's.
 *
 * Rows are written as the table's owner (the extension's): callers may
 * read the history but not write it, so nobody records a migration applied
 * or pending behind pg_migrate's back.
 *
 * Every query here runs with search_path = pg_catalog, pg_temp and
 * schema-qualified names (safe_sql.c), so a migration that changes
 * search_path or creates look-alike objects cannot redirect the
 * bookkeeping.
 *
 * SPI calls leave CurrentMemoryContext in SPI's procedure context; every
 * function here returns to its caller's context, so that what callers
 * allocate afterwards (the worker keeps plans across transactions) does not
 * vanish at SPI_finish.
 *
 * Reads pass read_only = false to SPI on purpose: SPI then takes a fresh
 * snapshot per query, so a caller that waited for the migration lock sees
 * what the session it waited for committed (READ COMMITTED).
 *
 * IDENTIFICATION
 *	  src/history.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/namespace.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "format.h"
#include "history.h"
#include "miscadmin.h"
#include "safe_sql.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/timestamp.h"

bool
pgm_history_is_applied_state(const char *state)
{
	return strcmp(state, PGM_HIST_APPLIED) == 0 ||
		strcmp(state, PGM_HIST_BASELINED) == 0 ||
		strcmp(state, PGM_HIST_REPAIRED) == 0;
}

static char *
text_column(HeapTuple tup, TupleDesc desc, int col)
{
	bool		isnull;
	Datum		d = SPI_getbinval(tup, desc, col, &isnull);

	return isnull ? NULL : TextDatumGetCString(d);
}

static int
compare_repeatable_entries(const void *a, const void *b)
{
	return pgm_description_cmp(((const PgmHistoryEntry *) a)->name,
							   ((const PgmHistoryEntry *) b)->name);
}

/* Reads the rows of a query of history entries; *n of them. */
static PgmHistoryEntry *
read_entries(const char *sql, int *n)
{
	MemoryContext caller = CurrentMemoryContext;
	PgmHistoryEntry *entries;
	uint64		i;
	int			rc;

	rc = SPI_execute(sql, false, 0);
	pgm_spi_check(rc, SPI_OK_SELECT, "reading pgmigrate.history");
	MemoryContextSwitchTo(caller);

	*n = (int) SPI_processed;
	entries = palloc0(sizeof(PgmHistoryEntry) * Max(SPI_processed, 1));
	for (i = 0; i < SPI_processed; i++)
	{
		HeapTuple	tup = SPI_tuptable->vals[i];
		TupleDesc	desc = SPI_tuptable->tupdesc;
		PgmHistoryEntry *e = &entries[i];
		bool		isnull;

		e->version = DatumGetInt64(SPI_getbinval(tup, desc, 1, &isnull));
		e->name = text_column(tup, desc, 2);
		e->state = text_column(tup, desc, 3);
		e->checksum = text_column(tup, desc, 4);
		e->applied_at = DatumGetTimestampTz(SPI_getbinval(tup, desc, 5, &isnull));
		e->duration_ms = DatumGetFloat8(SPI_getbinval(tup, desc, 6, &isnull));
		e->has_duration = !isnull;
		e->version_text = text_column(tup, desc, 7);
	}
	SPI_freetuptable(SPI_tuptable);
	MemoryContextSwitchTo(caller);
	return entries;
}

/*
 * The column version_text, or NULL::text where the history is 1.0's (1.1's
 * library with 1.0's objects, before ALTER EXTENSION ... UPDATE).
 */
static const char *
version_text_column(void)
{
	Oid			nsp = get_namespace_oid("pgmigrate", true);
	Oid			relid = OidIsValid(nsp) ? get_relname_relid("history", nsp) : InvalidOid;

	if (OidIsValid(relid) && get_attnum(relid, "version_text") != InvalidAttrNumber)
		return "version_text";
	return "NULL::pg_catalog.text";
}

PgmHistory *
pgm_history_load(void)
{
	PgmHistory *hist = palloc0(sizeof(PgmHistory));
	int			nestlevel = pgm_safe_sql_begin();
	const char *vt = version_text_column();

	/*
	 * The newest row of each version; repeatable migrations (version -1,
	 * first if any) are read apart, the newest row of each name, through
	 * the (version, id) index.
	 */
	hist->entries = read_entries(psprintf("SELECT DISTINCT ON (version) version, name, state, checksum, "
										  "applied_at, duration_ms, %s "
										  "FROM pgmigrate.history ORDER BY version, id DESC", vt),
								 &hist->n);
	if (hist->n > 0 && hist->entries[0].version == PGM_VERSION_REPEATABLE)
	{
		hist->entries++;
		hist->n--;
		hist->repeatables = read_entries(psprintf("SELECT DISTINCT ON (name) version, name, state, checksum, "
												  "applied_at, duration_ms, %s "
												  "FROM pgmigrate.history WHERE version = -1 "
												  "ORDER BY name, id DESC", vt),
										 &hist->nrepeatables);
		if (hist->nrepeatables > 1)
			qsort(hist->repeatables, hist->nrepeatables, sizeof(PgmHistoryEntry),
				  compare_repeatable_entries);
	}
	pgm_safe_sql_end(nestlevel);
	return hist;
}

char *
pgm_history_last_directory(void)
{
	MemoryContext caller = CurrentMemoryContext;
	int			nestlevel = pgm_safe_sql_begin();
	char	   *dir = NULL;
	int			rc;

	rc = SPI_execute("SELECT directory FROM pgmigrate.history "
					 "WHERE directory IS NOT NULL ORDER BY id DESC LIMIT 1",
					 false, 0);
	pgm_spi_check(rc, SPI_OK_SELECT, "reading pgmigrate.history");
	MemoryContextSwitchTo(caller);
	if (SPI_processed == 1)
		dir = text_column(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1);
	SPI_freetuptable(SPI_tuptable);
	pgm_safe_sql_end(nestlevel);
	MemoryContextSwitchTo(caller);
	return dir;
}

void
pgm_history_writer_init(PgmHistoryWriter *w, const char *directory, const char *applied_by)
{
	w->insert_plan = NULL;
	w->note = NULL;
	w->directory = pstrdup(directory);
	/* taken now: the rows are written as the table's owner */
	w->applied_by = pstrdup(applied_by ? applied_by :
							GetUserNameFromId(GetUserId(), false));
}

void
pgm_history_record(PgmHistoryWriter *w, const char *state, int64 version,
				   const char *name, const PgmFile *file,
				   double duration_ms, const char *error)
{
	MemoryContext caller = CurrentMemoryContext;
	Datum		values[11];
	char		nulls[11];
	PgmAsOwner	owner;
	int			rc;

	pgm_as_bookkeeping_owner_begin("history", &owner);
	if (w->insert_plan == NULL)
	{
		Oid			argtypes[11] = {INT8OID, TEXTOID, TEXTOID, TEXTOID, TEXTOID,
		TEXTOID, FLOAT8OID, TEXTOID, TEXTOID, TEXTOID, TEXTOID};

		w->insert_plan = SPI_prepare("INSERT INTO pgmigrate.history "
									 "(version, name, file, directory, checksum, state, duration_ms, "
									 "applied_by, error, version_text, note) "
									 "VALUES ($1, $2, $3, $4, $5, $6, $7, "
									 "$8, $9, $10, $11)",
									 11, argtypes);
		if (w->insert_plan == NULL)
			elog(ERROR, "preparing history insert failed: %s",
				 SPI_result_code_string(SPI_result));
	}

	memset(nulls, ' ', sizeof(nulls));
	values[0] = Int64GetDatum(version);
	values[1] = CStringGetTextDatum(name);
	values[2] = file ? CStringGetTextDatum(file->filename) : (Datum) 0;
	nulls[2] = file ? ' ' : 'n';
	values[3] = CStringGetTextDatum(w->directory);
	values[4] = file ? CStringGetTextDatum(file->checksum) : (Datum) 0;
	nulls[4] = file ? ' ' : 'n';
	values[5] = CStringGetTextDatum(state);
	values[6] = Float8GetDatum(duration_ms);
	nulls[6] = duration_ms < 0 ? 'n' : ' ';
	values[7] = CStringGetTextDatum(w->applied_by);
	values[8] = error ? CStringGetTextDatum(error) : (Datum) 0;
	nulls[8] = error ? ' ' : 'n';
	values[9] = file ? CStringGetTextDatum(file->version_text) : (Datum) 0;
	nulls[9] = file && !file->repeatable ? ' ' : 'n';
	values[10] = w->note ? CStringGetTextDatum(w->note) : (Datum) 0;
	nulls[10] = w->note ? ' ' : 'n';

	rc = SPI_execute_plan(w->insert_plan, values, nulls, false, 0);
	pgm_spi_check(rc, SPI_OK_INSERT, "recording migration history");
	pgm_as_owner_end(&owner);
	MemoryContextSwitchTo(caller);
}

void
pgm_history_batch_add(PgmHistoryBatch *batch, const PgmFile *file, double duration_ms)
{
	if (batch->n == batch->cap)
	{
		int			cap = Max(batch->cap * 2, 64);

		if (batch->cap == 0)
		{
			batch->versions = palloc(sizeof(Datum) * cap);
			batch->version_texts = palloc(sizeof(Datum) * cap);
			batch->names = palloc(sizeof(Datum) * cap);
			batch->files = palloc(sizeof(Datum) * cap);
			batch->checksums = palloc(sizeof(Datum) * cap);
			batch->durations = palloc(sizeof(Datum) * cap);
			batch->times = palloc(sizeof(Datum) * cap);
		}
		else
		{
			batch->versions = repalloc(batch->versions, sizeof(Datum) * cap);
			batch->version_texts = repalloc(batch->version_texts, sizeof(Datum) * cap);
			batch->names = repalloc(batch->names, sizeof(Datum) * cap);
			batch->files = repalloc(batch->files, sizeof(Datum) * cap);
			batch->checksums = repalloc(batch->checksums, sizeof(Datum) * cap);
			batch->durations = repalloc(batch->durations, sizeof(Datum) * cap);
			batch->times = repalloc(batch->times, sizeof(Datum) * cap);
		}
		batch->cap = cap;
	}
	batch->versions[batch->n] = Int64GetDatum(file->version);
	batch->version_texts[batch->n] = CStringGetTextDatum(file->version_text);
	batch->names[batch->n] = CStringGetTextDatum(file->name);
	batch->files[batch->n] = CStringGetTextDatum(file->filename);
	batch->checksums[batch->n] = CStringGetTextDatum(file->checksum);
	batch->durations[batch->n] = Float8GetDatum(duration_ms);
	batch->times[batch->n] = TimestampTzGetDatum(GetCurrentTimestamp());
	batch->n++;
}

void
pgm_history_batch_flush(PgmHistoryWriter *w, PgmHistoryBatch *batch)
{
	MemoryContext caller = CurrentMemoryContext;
	Oid			types[9] = {INT8ARRAYOID, TEXTARRAYOID, TEXTARRAYOID, TEXTARRAYOID,
	FLOAT8ARRAYOID, TIMESTAMPTZARRAYOID, TEXTOID, TEXTOID, TEXTARRAYOID};
	Datum		values[9];
	char		nulls[9];
	PgmAsOwner	owner;
	int			rc;

	if (batch->n == 0)
		return;
	memset(nulls, ' ', sizeof(nulls));
	values[0] = PointerGetDatum(construct_array(batch->versions, batch->n, INT8OID,
												sizeof(int64), FLOAT8PASSBYVAL, TYPALIGN_DOUBLE));
	values[1] = PointerGetDatum(construct_array(batch->names, batch->n, TEXTOID, -1, false, TYPALIGN_INT));
	values[2] = PointerGetDatum(construct_array(batch->files, batch->n, TEXTOID, -1, false, TYPALIGN_INT));
	values[3] = PointerGetDatum(construct_array(batch->checksums, batch->n, TEXTOID, -1, false, TYPALIGN_INT));
	values[4] = PointerGetDatum(construct_array(batch->durations, batch->n, FLOAT8OID,
												sizeof(float8), FLOAT8PASSBYVAL, TYPALIGN_DOUBLE));
	values[5] = PointerGetDatum(construct_array(batch->times, batch->n, TIMESTAMPTZOID,
												sizeof(TimestampTz), FLOAT8PASSBYVAL, TYPALIGN_DOUBLE));
	values[6] = CStringGetTextDatum(w->directory);
	values[7] = CStringGetTextDatum(w->applied_by);
	values[8] = PointerGetDatum(construct_array(batch->version_texts, batch->n, TEXTOID, -1, false, TYPALIGN_INT));

	pgm_as_bookkeeping_owner_begin("history", &owner);
	rc = SPI_execute_with_args("INSERT INTO pgmigrate.history "
							   "(version, name, file, directory, checksum, state, applied_at, "
							   "duration_ms, applied_by, version_text) "
							   "SELECT u.v, u.n, u.f, $7, u.c, 'applied', u.t, u.d, "
							   "$8, NULLIF(u.vt, '') "
							   "FROM unnest($1, $2, $3, $4, $5, $6, $9) WITH ORDINALITY "
							   "AS u(v, n, f, c, d, t, vt, o) ORDER BY u.o",
							   9, types, values, nulls, false, 0);
	pgm_spi_check(rc, SPI_OK_INSERT, "recording migration history");
	pgm_as_owner_end(&owner);
	MemoryContextSwitchTo(caller);
	batch->n = 0;
}
