/*-------------------------------------------------------------------------
 *
 * worker_funcs.c
 *	  SQL-callable functions of the background path: migrate_apply_async,
 *	  migrate_wait, migrate_cancel, migrate_wakeup, migrate_force,
 *	  migrate_schedule and migrate_unschedule.
 *
 * Jobs and schedules are rows of pgmigrate.jobs and pgmigrate.schedules;
 * the work happens in background workers (worker.c, apply_worker.c).
 *
 * IDENTIFICATION
 *	  src/worker_funcs.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xact.h"
#include "catalog/pg_type.h"
#include "commands/dbcommands.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "funcs.h"
#include "history.h"
#include "lock.h"
#include "miscadmin.h"
#include "policy.h"
#include "storage/latch.h"
#include "utils/builtins.h"
#include "utils/timestamp.h"
#include "utils/wait_event.h"
#include "worker.h"

PG_FUNCTION_INFO_V1(migrate_apply_async);
PG_FUNCTION_INFO_V1(migrate_wait);
PG_FUNCTION_INFO_V1(migrate_cancel);
PG_FUNCTION_INFO_V1(migrate_wakeup);
PG_FUNCTION_INFO_V1(migrate_schedule);
PG_FUNCTION_INFO_V1(migrate_unschedule);

static int64
job_id_arg(FunctionCallInfo fcinfo)
{
	if (PG_ARGISNULL(0))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("job id must not be null"),
				 errdetail("Jobs are named by the id migrate_apply_async() returned."),
				 errhint("See the migrate_jobs view for job ids.")));
	return PG_GETARG_INT64(0);
}

static void
spi_connect(void)
{
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "pg_migrate: SPI_connect failed");
}

static void
raise_no_job(int64 job_id)
{
	ereport(ERROR,
			(errcode(ERRCODE_UNDEFINED_OBJECT),
			 errmsg("migration job " INT64_FORMAT " does not exist", job_id),
			 errdetail("Jobs are recorded in pgmigrate.jobs of the database they were submitted in."),
			 errhint("See the migrate_jobs view for job ids.")));
}

/*
 * migrate_apply_async(dir text) RETURNS bigint
 *
 * Records a job and starts its worker, which waits for this transaction to
 * commit before it reads the job: a rolled-back submission runs nothing.
 */
Datum
migrate_apply_async(PG_FUNCTION_ARGS)
{
	char	   *dir;
	Oid			types[1] = {TEXTOID};
	Datum		values[1];
	Oid			pidtypes[2] = {INT8OID, INT4OID};
	Datum		pidvalues[2];
	bool		isnull;
	int64		job_id;
	int			pid;

	pgm_check_access();
	dir = pgm_folder_argument(fcinfo, 0);
	pgm_check_primary();
	(void) pgm_check_folder(dir);

	spi_connect();
	values[0] = CStringGetTextDatum(dir);
	if (SPI_execute_with_args("INSERT INTO pgmigrate.jobs (dir) VALUES ($1) RETURNING job_id",
							  1, types, values, NULL, false, 0) != SPI_OK_INSERT_RETURNING)
		elog(ERROR, "pg_migrate: recording the job failed");
	job_id = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));

	pid = pgm_job_launch(job_id, MyDatabaseId, GetUserId());
	pidvalues[0] = Int64GetDatum(job_id);
	pidvalues[1] = Int32GetDatum(pid);
	if (SPI_execute_with_args("UPDATE pgmigrate.jobs SET pid = $2 WHERE job_id = $1",
							  2, pidtypes, pidvalues, NULL, false, 0) != SPI_OK_UPDATE)
		elog(ERROR, "pg_migrate: recording the job's worker failed");
	SPI_finish();
	PG_RETURN_INT64(job_id);
}

/*
 * The job's state as migrate_jobs shows it; NULL if there is no such job.
 * *own_xact: the job was submitted by this very transaction.
 */
static char *
job_state(int64 job_id, bool *own_xact, bool *blocking)
{
	Oid			types[1] = {INT8OID};
	Datum		values[1];
	char	   *state = NULL;

	values[0] = Int64GetDatum(job_id);
	if (SPI_execute_with_args("SELECT CASE WHEN j.state IN ('queued', 'running') AND NOT EXISTS "
							  "  (SELECT 1 FROM pg_catalog.pg_stat_activity a WHERE a.pid = j.pid "
							  "   AND a.backend_type = 'pg_migrate job' "
							  "   AND a.backend_start >= j.submitted_at) THEN 'failed' "
							  "  ELSE j.state END, "
							  "j.submit_xid = pg_catalog.pg_current_xact_id_if_assigned(), "
							  "pg_catalog.pg_backend_pid() = ANY (pg_catalog.pg_blocking_pids(j.pid)) "
							  "FROM pgmigrate.jobs j WHERE j.job_id = $1",
							  1, types, values, NULL, false, 0) != SPI_OK_SELECT)
		elog(ERROR, "pg_migrate: reading the job failed");
	if (SPI_processed == 1)
	{
		bool		isnull;

		state = SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1);
		*own_xact = DatumGetBool(SPI_getbinval(SPI_tuptable->vals[0],
											   SPI_tuptable->tupdesc, 2, &isnull)) && !isnull;
		*blocking = DatumGetBool(SPI_getbinval(SPI_tuptable->vals[0],
											   SPI_tuptable->tupdesc, 3, &isnull)) && !isnull;
	}
	return state;
}

static bool
is_final(const char *state)
{
	return strcmp(state, "succeeded") == 0 || strcmp(state, "failed") == 0 ||
		strcmp(state, "canceled") == 0;
}

/*
 * migrate_wait(job_id bigint, timeout interval DEFAULT NULL) RETURNS text
 *
 * Polls the job every 100 ms with a fresh snapshot until it ends or the
 * timeout passes; returns its state then.  A call is one statement, whose
 * snapshot a job's CREATE INDEX CONCURRENTLY waits for: when the job is
 * found waiting for this session, the call stops with an error rather than
 * wait for ever.
 */
Datum
migrate_wait(PG_FUNCTION_ARGS)
{
	int64		job_id = job_id_arg(fcinfo);
	TimestampTz deadline = 0;
	char	   *state;
	text	   *result;

	pgm_check_access();
	if (IsolationUsesXactSnapshot())
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("migrate_wait cannot see a job's progress in a %s transaction",
						XactIsoLevel == XACT_SERIALIZABLE ? "SERIALIZABLE" : "REPEATABLE READ"),
				 errdetail("Its snapshot never shows the worker's later changes."),
				 errhint("Call migrate_wait in a READ COMMITTED transaction.")));
	if (!PG_ARGISNULL(1))
	{
		Interval   *timeout = PG_GETARG_INTERVAL_P(1);

		deadline = DatumGetTimestampTz(DirectFunctionCall2(timestamptz_pl_interval,
														   TimestampTzGetDatum(GetCurrentTimestamp()),
														   IntervalPGetDatum(timeout)));
	}

	spi_connect();
	for (;;)
	{
		bool		own_xact = false;
		bool		blocking = false;

		state = job_state(job_id, &own_xact, &blocking);
		if (state == NULL)
			raise_no_job(job_id);
		if (own_xact)
			ereport(ERROR,
					(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
					 errmsg("migration job " INT64_FORMAT " was submitted in this transaction", job_id),
					 errdetail("Its worker starts once the submitting transaction commits."),
					 errhint("Commit, then call migrate_wait.")));
		if (is_final(state) || (deadline != 0 && GetCurrentTimestamp() >= deadline))
			break;

		/*
		 * CREATE INDEX CONCURRENTLY waits for every older snapshot, this
		 * statement's included: waiting on would never end.
		 */
		if (blocking)
			ereport(ERROR,
					(errcode(ERRCODE_LOCK_NOT_AVAILABLE),
					 errmsg("migration job " INT64_FORMAT " is waiting for this session", job_id),
					 errdetail("The job runs a statement such as CREATE INDEX CONCURRENTLY, which waits until every snapshot older than its own is gone, including the one this call holds."),
					 errhint("Follow the job from separate statements instead, for example SELECT state FROM migrate_jobs WHERE job_id = " INT64_FORMAT " (psql: \\watch).",
							 job_id)));
		(void) WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH,
						 100L, PG_WAIT_EXTENSION);
		ResetLatch(MyLatch);
		CHECK_FOR_INTERRUPTS();
	}
	result = cstring_to_text(state);
	SPI_finish();
	PG_RETURN_TEXT_P(result);
}

/*
 * migrate_cancel(job_id bigint) RETURNS boolean
 *
 * A queued job is marked canceled; a running one gets a query cancel, so
 * its running migration rolls back.  Signalling needs the rights of
 * pg_cancel_backend (the job's role, or pg_signal_backend).
 */
Datum
migrate_cancel(PG_FUNCTION_ARGS)
{
	int64		job_id = job_id_arg(fcinfo);
	Oid			types[1] = {INT8OID};
	Datum		values[1];
	char	   *state;
	bool		isnull;
	Datum		pid;
	bool		done = false;

	pgm_check_access();
	spi_connect();
	values[0] = Int64GetDatum(job_id);
	if (SPI_execute_with_args("SELECT state, pid FROM pgmigrate.jobs WHERE job_id = $1 FOR UPDATE",
							  1, types, values, NULL, false, 0) != SPI_OK_SELECT)
		elog(ERROR, "pg_migrate: reading the job failed");
	if (SPI_processed != 1)
		raise_no_job(job_id);
	state = SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1);
	pid = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 2, &isnull);

	if (strcmp(state, "queued") == 0)
	{
		if (SPI_execute_with_args("UPDATE pgmigrate.jobs SET state = 'canceled', "
								  "error = 'canceled before it started', "
								  "finished_at = pg_catalog.clock_timestamp() WHERE job_id = $1",
								  1, types, values, NULL, false, 0) != SPI_OK_UPDATE)
			elog(ERROR, "pg_migrate: updating the job failed");
		done = true;
	}
	else if (strcmp(state, "running") == 0 && !isnull)
		done = DatumGetBool(DirectFunctionCall1(pg_cancel_backend, pid));
	SPI_finish();
	PG_RETURN_BOOL(done);
}

/* migrate_wakeup() RETURNS boolean: make the scheduler look now. */
Datum
migrate_wakeup(PG_FUNCTION_ARGS)
{
	pgm_check_access();
	if (!pgm_worker_preloaded())
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("the pg_migrate background worker is not running"),
				 errdetail("pg_migrate is not in shared_preload_libraries."),
				 errhint("Add pg_migrate to shared_preload_libraries and restart the server, or use migrate_apply_async().")));
	PG_RETURN_BOOL(pgm_worker_wakeup());
}

/* migrate_schedule(dir text, run_at timestamptz, every interval) RETURNS bigint */
Datum
migrate_schedule(PG_FUNCTION_ARGS)
{
	char	   *dir;
	char	   *dbname;
	Oid			types[3] = {TEXTOID, TIMESTAMPTZOID, INTERVALOID};
	Datum		values[3];
	char		nulls[3] = {' ', ' ', ' '};
	bool		isnull;
	int64		id;

	pgm_check_access();
	dir = pgm_folder_argument(fcinfo, 0);
	if (PG_ARGISNULL(1))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("run_at must not be null"),
				 errdetail("A schedule starts at run_at and repeats every interval if one is given."),
				 errhint("Give the time of the first run.")));
	pgm_check_primary();
	(void) pgm_check_folder(dir);

	dbname = get_database_name(MyDatabaseId);
	if (strcmp(dbname, pgm_worker_database_name()) != 0)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("schedules run only in database \"%s\"", pgm_worker_database_name()),
				 errdetail("pg_migrate.database names the database whose worker runs schedules; this is database \"%s\".",
						   dbname),
				 errhint("Connect to database \"%s\" to schedule migrations, or change pg_migrate.database.",
						 pgm_worker_database_name())));

	spi_connect();
	values[0] = CStringGetTextDatum(dir);
	values[1] = PG_GETARG_DATUM(1);
	values[2] = PG_ARGISNULL(2) ? (Datum) 0 : PG_GETARG_DATUM(2);
	nulls[2] = PG_ARGISNULL(2) ? 'n' : ' ';
	if (SPI_execute_with_args("INSERT INTO pgmigrate.schedules (dir, run_at, every) "
							  "VALUES ($1, $2, $3) RETURNING schedule_id",
							  3, types, values, nulls, false, 0) != SPI_OK_INSERT_RETURNING)
		elog(ERROR, "pg_migrate: recording the schedule failed");
	id = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
	SPI_finish();

	if (!pgm_worker_preloaded())
		ereport(NOTICE,
				(errmsg("the schedule runs once pg_migrate is in shared_preload_libraries")));
	else
		(void) pgm_worker_wakeup();
	PG_RETURN_INT64(id);
}

/* migrate_unschedule(id bigint) RETURNS boolean */
Datum
migrate_unschedule(PG_FUNCTION_ARGS)
{
	Oid			types[1] = {INT8OID};
	Datum		values[1];
	bool		found;

	pgm_check_access();
	if (PG_ARGISNULL(0))
		PG_RETURN_BOOL(false);
	spi_connect();
	values[0] = PG_GETARG_DATUM(0);
	if (SPI_execute_with_args("DELETE FROM pgmigrate.schedules WHERE schedule_id = $1",
							  1, types, values, NULL, false, 0) != SPI_OK_DELETE)
		elog(ERROR, "pg_migrate: removing the schedule failed");
	found = SPI_processed > 0;
	SPI_finish();
	PG_RETURN_BOOL(found);
}
