/*-------------------------------------------------------------------------
 *
 * funcs.c
 *	  SQL-callable functions: migrate_apply, migrate_status,
 *	  migrate_validate and migrate_repair.
 *
 * Thin wrappers: check the caller, run the pipeline (apply.c, plan.c) and
 * return its rows through a materialized set in per-query memory.
 *
 * IDENTIFICATION
 *	  src/funcs.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "apply.h"
#include "compat.h"
#include "dry_run.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "folder.h"
#include "format.h"
#include "funcs.h"
#include "funcapi.h"
#include "history.h"
#include "lock.h"
#include "track.h"
#include "plan.h"
#include "policy.h"
#include "progress.h"
#include "repair.h"
#include "safe_sql.h"
#include "storage/procarray.h"
#include "utils/builtins.h"
#include "utils/timestamp.h"
#include "validate.h"
#include "version_arg.h"

PG_FUNCTION_INFO_V1(migrate_apply);
PG_FUNCTION_INFO_V1(migrate_apply_text);
PG_FUNCTION_INFO_V1(migrate_status);
PG_FUNCTION_INFO_V1(migrate_validate);
PG_FUNCTION_INFO_V1(migrate_repair);
PG_FUNCTION_INFO_V1(migrate_force);

char *
pgm_folder_argument(FunctionCallInfo fcinfo, int argno)
{
	if (PG_ARGISNULL(argno))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("migration folder must not be null"),
				 errdetail("Migrations are read from the folder given as the first argument."),
				 errhint("Give the folder's full path on the database server.")));
	return text_to_cstring(PG_GETARG_TEXT_PP(argno));
}

void
pgm_format_arg(FunctionCallInfo fcinfo, int argno)
{
	pgm_format_argument(PG_NARGS() > argno && !PG_ARGISNULL(argno) ?
						text_to_cstring(PG_GETARG_TEXT_PP(argno)) : NULL);
}

static void
emit_applied(int64 version, const char *name, double duration_ms, void *arg)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) arg;
	Datum		values[3];
	bool		nulls[3] = {version == PGM_VERSION_REPEATABLE, false, false};

	values[0] = Int64GetDatum(version);
	values[1] = CStringGetTextDatum(name);
	values[2] = Float8GetDatum(duration_ms);
	tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
}

/*
 * migrate_apply(dir text, target bigint DEFAULT NULL,
 *				 out_of_order boolean DEFAULT false,
 *				 ignore_missing boolean DEFAULT false,
 *				 lint text DEFAULT NULL, dry_run boolean DEFAULT false)
 *	  RETURNS TABLE(version bigint, name text, duration_ms double precision)
 *
 * migrate_apply_text: the overload whose target is text (a Flyway version,
 * '1.10'); the target is the folder's version key either way
 * (version_arg.c).
 */
static Datum
apply_common(FunctionCallInfo fcinfo, bool text_target)
{
	PgmPlanOptions opts;
	char	   *dir;
	bool		dry_run;

	pgm_check_access();
	dir = pgm_folder_argument(fcinfo, 0);
	pgm_format_arg(fcinfo, 6);
	memset(&opts, 0, sizeof(opts));
	opts.has_target = !PG_ARGISNULL(1);
	opts.out_of_order = !PG_ARGISNULL(2) && PG_GETARG_BOOL(2);
	opts.ignore_missing = !PG_ARGISNULL(3) && PG_GETARG_BOOL(3);
	/* 1.0's migrate_apply has four arguments */
	if (PG_NARGS() > 4 && !PG_ARGISNULL(4))
		opts.lint = text_to_cstring(PG_GETARG_TEXT_PP(4));
	dry_run = PG_NARGS() > 5 && !PG_ARGISNULL(5) && PG_GETARG_BOOL(5);

	pgm_check_primary();
	if (opts.has_target)
		opts.target = pgm_version_argument(fcinfo, 1, text_target, dir, false);
	pgm_init_materialized_srf(fcinfo);
	if (dry_run)
		pgm_apply_folder_dry_run(dir, &opts, emit_applied, fcinfo->resultinfo);
	else
		pgm_apply_folder(dir, &opts, emit_applied, fcinfo->resultinfo);
	return (Datum) 0;
}

Datum
migrate_apply(PG_FUNCTION_ARGS)
{
	return apply_common(fcinfo, false);
}

Datum
migrate_apply_text(PG_FUNCTION_ARGS)
{
	return apply_common(fcinfo, true);
}

/* A batched data migration's progress, from pgmigrate.batch_progress. */
typedef struct BatchProgress
{
	int64		version;
	char	   *progress;
	bool		running;		/* a live backend holds the busy flag for it */
} BatchProgress;

static List *
read_batch_progress(void)
{
	List	   *result = NIL;
	int			nestlevel = pgm_safe_sql_begin();
	uint64		i;

	pgm_spi_check(SPI_execute("SELECT version, progress, pid FROM pgmigrate.batch_progress",
							  true, 0),
				  SPI_OK_SELECT, "reading pgmigrate.batch_progress");
	for (i = 0; i < SPI_processed; i++)
	{
		HeapTuple	tup = SPI_tuptable->vals[i];
		TupleDesc	desc = SPI_tuptable->tupdesc;
		BatchProgress *bp = palloc0(sizeof(BatchProgress));
		bool		isnull;
		Datum		pid;

		bp->version = DatumGetInt64(SPI_getbinval(tup, desc, 1, &isnull));
		bp->progress = SPI_getvalue(tup, desc, 2);
		pid = SPI_getbinval(tup, desc, 3, &isnull);
		bp->running = !isnull && BackendPidGetProc(DatumGetInt32(pid)) != NULL &&
			pgm_lock_busy_taken();
		result = lappend(result, bp);
	}
	pgm_safe_sql_end(nestlevel);
	return result;
}

static BatchProgress *
find_batch_progress(List *progress, int64 version)
{
	ListCell   *lc;

	foreach(lc, progress)
	{
		BatchProgress *bp = (BatchProgress *) lfirst(lc);

		if (bp->version == version)
			return bp;
	}
	return NULL;
}

static void
emit_status_row(ReturnSetInfo *rsinfo, PgmPlanItem *item, List *progress)
{
	Datum		values[8];
	bool		nulls[8] = {item->version == PGM_VERSION_REPEATABLE, false, false, true, true, true, true, true};
	BatchProgress *bp = find_batch_progress(progress, item->version);
	const char *checksum = item->file ? item->file->checksum :
		(item->hist ? item->hist->checksum : NULL);
	const char *version_text = item->file ? item->file->version_text :
		(item->hist ? item->hist->version_text : NULL);

	values[0] = Int64GetDatum(item->version);
	values[1] = CStringGetTextDatum(item->name);
	values[2] = CStringGetTextDatum(bp != NULL && bp->running &&
									item->state != PGM_STATE_APPLIED ?
									"running" : pgm_state_name(item->state));
	if (item->hist != NULL && item->adopt == PGM_ADOPT_NONE &&
		item->state != PGM_STATE_PENDING && item->state != PGM_STATE_OUT_OF_ORDER)
	{
		values[3] = TimestampTzGetDatum(item->hist->applied_at);
		nulls[3] = false;
		values[4] = Float8GetDatum(item->hist->duration_ms);
		nulls[4] = !item->hist->has_duration;
	}
	if (checksum != NULL)
	{
		values[5] = CStringGetTextDatum(checksum);
		nulls[5] = false;
	}
	/* 1.0's migrate_status has six columns */
	if (bp != NULL && rsinfo->setDesc->natts > 6 && item->state != PGM_STATE_APPLIED)
	{
		values[6] = CStringGetTextDatum(bp->progress);
		nulls[6] = false;
	}
	/* the version as written (a repeatable migration has none) */
	if (version_text != NULL && version_text[0] != '\0' && rsinfo->setDesc->natts > 7)
	{
		values[7] = CStringGetTextDatum(version_text);
		nulls[7] = false;
	}
	tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
}

/*
 * migrate_status(dir text DEFAULT NULL, format text DEFAULT NULL)
 *	  RETURNS TABLE(version bigint, name text, state text,
 *					applied_at timestamptz, duration_ms double precision,
 *					checksum text, progress text, version_text text)
 *
 * 1.0's has the first six columns.
 *
 * Reads without locking: it shows the last committed state.  With dir NULL
 * it reads the folder most recently applied in this database.
 */
Datum
migrate_status(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo;
	PgmFolder  *folder = NULL;
	PgmPlan    *plan;
	const char *dir = NULL;
	List	   *progress = NIL;
	int			k;

	pgm_check_access();
	if (!PG_ARGISNULL(0))
		dir = pgm_folder_argument(fcinfo, 0);
	pgm_format_arg(fcinfo, 1);

	pgm_init_materialized_srf(fcinfo);
	rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	if (dir == NULL)
		dir = pgm_history_last_directory();
	if (dir != NULL)
	{
		folder = pgm_folder_scan(dir, NULL);
		for (k = 0; k < folder->nfiles; k++)
			pgm_file_checksum(folder, &folder->files[k]);
		for (k = 0; k < folder->nrepeatables; k++)
			pgm_file_checksum(folder, &folder->repeatables[k]);
	}
	plan = pgm_plan_read(folder);
	if (rsinfo->setDesc->natts > 6)
		progress = read_batch_progress();

	for (k = 0; k < pgm_plan_count(plan); k++)
	{
		PgmPlanItem *item = pgm_plan_item(plan, k);

		/* a reverted version whose file is gone: nothing left to show */
		if (item->file == NULL && item->state == PGM_STATE_PENDING)
			continue;
		emit_status_row(rsinfo, item, progress);
	}

	k = SPI_finish();
	if (k != SPI_OK_FINISH)
		elog(ERROR, "SPI_finish failed: %s", SPI_result_code_string(k));
	return (Datum) 0;
}

/*
 * migrate_validate(dir text)
 *	  RETURNS TABLE(file text, version bigint, severity text, problem text)
 *
 * Every problem of the folder at once; an empty result means it is clean.
 */
Datum
migrate_validate(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo;
	char	   *dir;
	List	   *problems;
	ListCell   *lc;

	pgm_check_access();
	dir = pgm_folder_argument(fcinfo, 0);
	pgm_format_arg(fcinfo, 1);
	pgm_init_materialized_srf(fcinfo);
	rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;

	problems = pgm_validate_folder(dir);
	foreach(lc, problems)
	{
		PgmProblem *p = (PgmProblem *) lfirst(lc);
		Datum		values[4];
		bool		nulls[4] = {p->file == NULL, !p->has_version, false, false};

		values[0] = p->file ? CStringGetTextDatum(p->file) : (Datum) 0;
		values[1] = Int64GetDatum(p->version);
		values[2] = CStringGetTextDatum(p->severity);
		values[3] = CStringGetTextDatum(p->problem);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	return (Datum) 0;
}

static void
emit_repaired(int64 version, const char *name, const char *action, void *arg)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) arg;
	Datum		values[3];
	bool		nulls[3] = {version == PGM_VERSION_REPEATABLE, false, false};

	values[0] = Int64GetDatum(version);
	values[1] = CStringGetTextDatum(name);
	values[2] = CStringGetTextDatum(action);
	tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
}

/*
 * migrate_repair(dir text)
 *	  RETURNS TABLE(version bigint, name text, action text)
 */
Datum
migrate_repair(PG_FUNCTION_ARGS)
{
	char	   *dir;

	pgm_check_access();
	dir = pgm_folder_argument(fcinfo, 0);
	pgm_check_primary();
	pgm_init_materialized_srf(fcinfo);
	pgm_repair_folder(dir, emit_repaired, fcinfo->resultinfo);
	return (Datum) 0;
}

/*
 * migrate_force(version bigint) RETURNS void
 *
 * golang-migrate's force: set schema_migrations to version, clean, without
 * running anything.  Versions up to it count as applied from then on, those
 * above it as not applied; a failed attempt at it is no longer retried.
 */
Datum
migrate_force(PG_FUNCTION_ARGS)
{
	PgmTracked	tracked;
	int			rc;

	pgm_check_access();
	if (PG_ARGISNULL(0))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("version must not be null"),
				 errdetail("migrate_force sets golang-migrate's version table (pg_migrate.version_table) to the version given."),
				 errhint("Give the version that the schema now matches.")));
	if (PG_GETARG_INT64(0) < 0)
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("version must not be negative"),
				 errdetail("Migration versions are non-negative integers."),
				 errhint("To mark nothing as applied, delete the row of the version table (pg_migrate.version_table).")));
	pgm_check_primary();

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	pgm_track_select(NULL);		/* golang-migrate's table and lock */
	pgm_lock_xact();
	memset(&tracked, 0, sizeof(tracked));
	pgm_track_read(&tracked);
	pgm_track_force(&tracked, PG_GETARG_INT64(0));
	/* statements a half-run no-transaction file recorded no longer count */
	(void) pgm_progress_clear_all(NULL, NULL);
	rc = SPI_finish();
	if (rc != SPI_OK_FINISH)
		elog(ERROR, "SPI_finish failed: %s", SPI_result_code_string(rc));
	PG_RETURN_VOID();
}
