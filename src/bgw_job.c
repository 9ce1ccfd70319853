/*-------------------------------------------------------------------------
 *
 * bgw_job.c
 *	  Migration jobs: every statement on pgmigrate.jobs, the job worker,
 *	  and migrate_apply_async, migrate_wait and migrate_cancel.
 *
 * A job is a row of pgmigrate.jobs plus a dynamic background worker that
 * runs it as the submitting role, in the submitting database, with one
 * commit per migration (pgm_run_folder).  Jobs come from
 * migrate_apply_async() and from due schedules (bgw_scheduler.c); neither
 * needs pg_migrate to be preloaded.
 *
 * Trust: the row is written only here, as the table's owner (the
 * extension's owner; pgm_bgw_owner_execute), with the role the function was
 * called as: no other role has DML, LOCK or even SELECT on pgmigrate.jobs.
 * A member of pg_read_server_files sees, waits for and cancels its own jobs
 * only (the migrate_jobs view; the functions check the same).  The worker
 * logs in as the role carried in its bgw_extra, set here, not read from the
 * table; it checks that the row names that role, and again that the role
 * may read migration folders (the folder itself is checked as it is
 * opened, policy.h).  A role that may not log in is refused at submission,
 * since its worker could not start.
 *
 * The worker waits for the submitting transaction to end before it reads
 * its row, so a rolled-back submission runs nothing.  States move queued ->
 * running -> succeeded, failed or canceled (PGM_JOB_*); an error of the
 * worker itself, outside any migration, is recorded as the job's failure,
 * with the session-level locks given back first.  A job whose worker is
 * gone without finishing (server restart, worker killed) still says queued
 * or running in the table; the pgmigrate.job_states view (and migrate_jobs
 * over it) shows it as failed.  That view holds the one definition of a
 * live worker, and the C code reads it instead of repeating the test.
 *
 * All SQL here is schema-qualified, with qualified operators, and runs with
 * search_path pinned to pg_catalog, pg_temp (pgm_safe_sql_begin).
 *
 * Memory: each look migrate_wait takes at a job is a subtransaction rolled
 * back, each look of migrate_await a transaction of its own: a wait of
 * hours does not grow the backend.
 *
 * IDENTIFICATION
 *	  src/bgw_job.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xact.h"
#include "apply_worker.h"
#include "bgw_common.h"
#include "bgw_job.h"
#include "catalog/pg_type.h"
#include "commands/extension.h"
#include "common/int.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "funcapi.h"
#include "funcs.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "policy.h"
#include "postmaster/bgworker.h"
#include "safe_sql.h"
#include "storage/ipc.h"
#include "storage/lmgr.h"
#include "tcop/tcopprot.h"
#include "unit.h"
#include "utils/acl.h"
#include "utils/backend_status.h"
#include "utils/builtins.h"
#include "utils/memutils.h"
#include "utils/snapmgr.h"
#include "utils/timestamp.h"
#include "utils/wait_event.h"

PG_FUNCTION_INFO_V1(migrate_apply_async);
PG_FUNCTION_INFO_V1(migrate_wait);
PG_FUNCTION_INFO_V1(migrate_await);
PG_FUNCTION_INFO_V1(migrate_cancel);

/* What bgw_extra of a job worker carries. */
typedef struct JobArgs
{
	Oid			dboid;
	Oid			roleid;
	TransactionId submit_xid;	/* the job row is visible once it ends */
} JobArgs;

/*
 * A job id argument; NULL is an error (22004).  It could join
 * pgm_folder_argument in funcs.h once another file needs it.
 */
static int64
pgm_job_id_argument(FunctionCallInfo fcinfo, int argno)
{
	if (PG_ARGISNULL(argno))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("job id must not be null"),
				 errdetail("Jobs are named by the id migrate_apply_async() returned."),
				 errhint("See the migrate_jobs view for job ids.")));
	return PG_GETARG_INT64(argno);
}

static void
raise_no_job(int64 job_id)
{
	ereport(ERROR,
			(errcode(ERRCODE_UNDEFINED_OBJECT),
			 errmsg("migration job " INT64_FORMAT " does not exist", job_id),
			 errdetail("Jobs are recorded in pgmigrate.jobs of the database they were submitted in; a role other than a superuser sees its own jobs only."),
			 errhint("See the migrate_jobs view for job ids.")));
}

/* A state read from the table, as one of the PGM_JOB_* constants. */
static const char *
known_state(const char *state)
{
	static const char *const states[] = {
		PGM_JOB_QUEUED, PGM_JOB_RUNNING, PGM_JOB_SUCCEEDED, PGM_JOB_FAILED,
		PGM_JOB_CANCELED
	};
	int			i;

	for (i = 0; i < lengthof(states); i++)
		if (strcmp(state, states[i]) == 0)
			return states[i];
	elog(ERROR, "unexpected migration job state \"%s\"", state);
	return NULL;				/* keep compiler quiet */
}

static bool
is_final(const char *state)
{
	return strcmp(state, PGM_JOB_SUCCEEDED) == 0 ||
		strcmp(state, PGM_JOB_FAILED) == 0 ||
		strcmp(state, PGM_JOB_CANCELED) == 0;
}

/*
 * The one definition of a job's state, live worker or not, over every job:
 * read as the owner (members have no access to it).
 */
#define JOB_STATES "pgmigrate.job_states"

/* ---------- starting a job ---------- */

/*
 * migrate_jobs tells a live job from a dead one by its worker's row in
 * pg_stat_activity, which appears a little after the process starts: wait
 * for it, so that a job is never shown failed just after its submission.
 * False when the worker exited first: it could not connect (its role may
 * not log in, the database refuses connections; the server log says why),
 * since it cannot have run anything before this transaction ends.
 */
static bool
wait_until_visible(BackgroundWorkerHandle *handle, pid_t pid)
{
	for (;;)
	{
		int			n;
		int			i;
		pid_t		current;

		pgstat_clear_backend_activity_snapshot();
		n = pgstat_fetch_stat_numbackends();
		for (i = 1; i <= n; i++)
		{
			LocalPgBackendStatus *entry = pgstat_fetch_stat_local_beentry(i);

			if (entry != NULL && entry->backendStatus.st_procpid == pid)
				return true;
		}
		if (GetBackgroundWorkerPid(handle, &current) != BGWH_STARTED)
			return false;
		pgm_wait(1L, PG_WAIT_EXTENSION);
	}
}

/*
 * Starts a dynamic background worker that runs job job_id of database dboid
 * as role roleid; waits until it has connected and returns its pid.  0 when
 * no worker slot is free and no_slot is not NULL.
 */
static int
launch_worker(int64 job_id, Oid dboid, Oid roleid, bool *no_slot)
{
	BackgroundWorker worker;
	BackgroundWorkerHandle *handle;
	JobArgs		args;
	pid_t		pid;

	pgm_bgw_prepare(&worker, "pgm_job_main", "pg_migrate job");
	snprintf(worker.bgw_name, BGW_MAXLEN, "pg_migrate job " INT64_FORMAT, job_id);
	worker.bgw_main_arg = Int64GetDatum(job_id);
	worker.bgw_notify_pid = MyProcPid;

	args.dboid = dboid;
	args.roleid = roleid;
	args.submit_xid = GetTopTransactionId();
	StaticAssertStmt(sizeof(JobArgs) <= BGW_EXTRALEN, "JobArgs must fit in bgw_extra");
	memcpy(worker.bgw_extra, &args, sizeof(args));

	if (!RegisterDynamicBackgroundWorker(&worker, &handle))
	{
		if (no_slot != NULL)
		{
			*no_slot = true;
			return 0;
		}
		ereport(ERROR,
				(errcode(ERRCODE_CONFIGURATION_LIMIT_EXCEEDED),
				 errmsg("out of background worker slots"),
				 errhint("You might need to increase \"%s\".", "max_worker_processes")));
	}

	if (WaitForBackgroundWorkerStartup(handle, &pid) != BGWH_STARTED)
		ereport(ERROR,
				(errcode(ERRCODE_CONNECTION_FAILURE),
				 errmsg("background worker for migration job " INT64_FORMAT " did not start", job_id),
				 errdetail("The postmaster could not start the worker process.")));
	if (!wait_until_visible(handle, pid))
		ereport(ERROR,
				(errcode(ERRCODE_CONNECTION_FAILURE),
				 errmsg("background worker for migration job " INT64_FORMAT " exited before it connected to the database",
						job_id),
				 errdetail("The worker logs in as role \"%s\"; the server log says why it could not.",
						   GetUserNameFromId(roleid, false))));
	return (int) pid;
}

int64
pgm_job_submit(const char *dir, Oid roleid, int64 schedule_id, int *pid, bool *no_slot)
{
	Oid			types[6] = {INT8OID, TEXTOID, TEXTOID, INT8OID, INT4OID, TIMESTAMPTZOID};
	Datum		values[6];
	char		nulls[6] = {' ', ' ', ' ', ' ', ' ', ' '};
	int64		job_id;
	int			worker_pid;
	bool		isnull;

	/* before the worker starts: migrate_jobs compares it with backend_start */
	values[5] = TimestampTzGetDatum(GetCurrentTimestamp());
	if (no_slot != NULL)
		*no_slot = false;

	/* the id first, so that nothing is recorded when no worker starts */
	pgm_bgw_owner_execute("jobs",
						  "SELECT pg_catalog.nextval(pg_catalog.pg_get_serial_sequence('pgmigrate.jobs', 'job_id'))",
						  0, NULL, NULL, NULL, SPI_OK_SELECT, "numbering the migration job");
	job_id = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));

	worker_pid = launch_worker(job_id, MyDatabaseId, roleid, no_slot);
	if (worker_pid == 0)
		return 0;

	values[0] = Int64GetDatum(job_id);
	values[1] = CStringGetTextDatum(dir);
	values[2] = CStringGetTextDatum(GetUserNameFromId(roleid, false));
	values[3] = Int64GetDatum(schedule_id);
	nulls[3] = schedule_id != 0 ? ' ' : 'n';
	values[4] = Int32GetDatum(worker_pid);
	pgm_bgw_owner_execute("jobs",
						  "INSERT INTO pgmigrate.jobs (job_id, dir, role, schedule_id, pid, submitted_at) "
						  "OVERRIDING SYSTEM VALUE VALUES ($1, $2, $3, $4, $5, $6)",
						  6, types, values, nulls, SPI_OK_INSERT, "recording the migration job");
	if (pid != NULL)
		*pid = worker_pid;
	return job_id;
}

int64
pgm_job_record_failed(const char *dir, const char *role, int64 schedule_id,
					  const char *error)
{
	Oid			types[4] = {TEXTOID, TEXTOID, INT8OID, TEXTOID};
	Datum		values[4];
	bool		isnull;

	values[0] = CStringGetTextDatum(dir);
	values[1] = CStringGetTextDatum(role);
	values[2] = Int64GetDatum(schedule_id);
	values[3] = CStringGetTextDatum(error);
	pgm_bgw_owner_execute("jobs",
						  "INSERT INTO pgmigrate.jobs (dir, role, schedule_id, state, error, finished_at) "
						  "VALUES ($1, $2, $3, '" PGM_JOB_FAILED "', $4, pg_catalog.clock_timestamp()) "
						  "RETURNING job_id",
						  4, types, values, NULL, SPI_OK_INSERT_RETURNING,
						  "recording the failed migration job");
	return DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
}

bool
pgm_job_live(int64 job_id)
{
	Oid			types[1] = {INT8OID};
	Datum		values[1];

	values[0] = Int64GetDatum(job_id);
	pgstat_clear_backend_activity_snapshot();
	pgm_bgw_owner_execute("jobs",
						  "SELECT 1 FROM " JOB_STATES " v WHERE v.job_id OPERATOR(pg_catalog.=) $1 "
						  "AND v.state OPERATOR(pg_catalog.=) ANY ('{" PGM_JOB_QUEUED "," PGM_JOB_RUNNING "}'::pg_catalog.text[])",
						  1, types, values, NULL, SPI_OK_SELECT, "reading the migration job");
	return SPI_processed > 0;
}

void
pgm_job_fail_orphaned(void)
{
	pgm_unit_begin();
	if (pgm_bgw_extension_state(NULL) == PGM_EXTENSION_READY)
		pgm_bgw_owner_execute("jobs",
							  "UPDATE pgmigrate.jobs j SET state = '" PGM_JOB_FAILED "', "
							  "error = 'server restarted before the job finished', "
							  "finished_at = pg_catalog.clock_timestamp() "
							  "FROM " JOB_STATES " v WHERE v.job_id OPERATOR(pg_catalog.=) j.job_id "
							  "AND v.state OPERATOR(pg_catalog.=) '" PGM_JOB_FAILED "' "
							  "AND j.state OPERATOR(pg_catalog.=) ANY ('{" PGM_JOB_QUEUED "," PGM_JOB_RUNNING "}'::pg_catalog.text[])",
							  0, NULL, NULL, NULL, SPI_OK_UPDATE,
							  "marking orphaned migration jobs failed");
	pgm_unit_end();
}

/* ---------- the job worker ---------- */

/*
 * Runs one statement on the job row, as the table's owner, in a
 * transaction of its own; returns the first column of the row it returned,
 * in the caller's memory context, or NULL when there was none.
 */
static char *
job_unit(const char *sql, int nargs, Oid *types, Datum *values, const char *nulls,
		 int expected)
{
	MemoryContext caller = CurrentMemoryContext;
	char	   *first = NULL;

	pgm_unit_begin();
	pgm_bgw_owner_execute("jobs", sql, nargs, types, values, nulls, expected,
						  "updating the migration job");
	if (SPI_tuptable != NULL && SPI_processed == 1)
		first = MemoryContextStrdup(caller,
									SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1));
	pgm_unit_end();
	return first;
}

/*
 * The job is running from now: returns its folder, or NULL when it is not
 * queued (canceled before it started, or never committed).  The row must
 * name the role this worker logged in as.
 */
static char *
start_job(int64 job_id, const char *role)
{
	Oid			types[2] = {INT8OID, TEXTOID};
	Datum		values[2];
	char	   *dir;

	values[0] = Int64GetDatum(job_id);
	values[1] = CStringGetTextDatum(role);
	dir = job_unit("UPDATE pgmigrate.jobs SET state = '" PGM_JOB_RUNNING "', "
				   "started_at = pg_catalog.clock_timestamp(), pid = pg_catalog.pg_backend_pid() "
				   "WHERE job_id OPERATOR(pg_catalog.=) $1 "
				   "AND state OPERATOR(pg_catalog.=) '" PGM_JOB_QUEUED "' "
				   "AND role OPERATOR(pg_catalog.=) $2::pg_catalog.name RETURNING dir",
				   2, types, values, NULL, SPI_OK_UPDATE_RETURNING);
	if (dir == NULL &&
		job_unit("SELECT role FROM pgmigrate.jobs WHERE job_id OPERATOR(pg_catalog.=) $1 "
				 "AND state OPERATOR(pg_catalog.=) '" PGM_JOB_QUEUED "'",
				 1, types, values, NULL, SPI_OK_SELECT) != NULL)
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("migration job " INT64_FORMAT " is not recorded for role \"%s\"",
						job_id, role),
				 errdetail("A job runs as the role that submitted it; its row was changed since.")));
	return dir;
}

/* The role may still read migration folders; in a transaction of its own. */
static void
check_runner(void)
{
	pgm_unit_begin();
	pgm_check_access();
	pgm_unit_end();
}

/* The job's end, as the result says, on its row. */
static void
finish_job(int64 job_id, const PgmRunResult *result)
{
	Oid			types[4] = {INT8OID, TEXTOID, INT4OID, TEXTOID};
	Datum		values[4];
	char		nulls[4] = {' ', ' ', ' ', ' '};
	const char *state;

	if (result->canceled)
		state = PGM_JOB_CANCELED;
	else if (result->failed)
		state = PGM_JOB_FAILED;
	else
		state = PGM_JOB_SUCCEEDED;
	values[0] = Int64GetDatum(job_id);
	values[1] = CStringGetTextDatum(state);
	values[2] = Int32GetDatum(result->applied);
	values[3] = result->error ? CStringGetTextDatum(result->error) : (Datum) 0;
	nulls[3] = result->error ? ' ' : 'n';
	(void) job_unit("UPDATE pgmigrate.jobs SET state = $2, applied = $3, error = $4, "
					"finished_at = pg_catalog.clock_timestamp() "
					"WHERE job_id OPERATOR(pg_catalog.=) $1",
					4, types, values, nulls, SPI_OK_UPDATE);
}

void
pgm_job_main(Datum main_arg)
{
	int64		job_id = DatumGetInt64(main_arg);
	JobArgs		args;
	MemoryContext cxt;
	char	   *role;
	PgmRunResult *result;

	memcpy(&args, MyBgworkerEntry->bgw_extra, sizeof(args));
	pqsignal(SIGTERM, die);
	BackgroundWorkerUnblockSignals();
	BackgroundWorkerInitializeConnectionByOid(args.dboid, args.roleid, 0);
	pgstat_report_appname("pg_migrate job");
	cxt = AllocSetContextCreate(TopMemoryContext, "pg_migrate job", ALLOCSET_DEFAULT_SIZES);
	MemoryContextSwitchTo(cxt);

	/* the job row becomes visible when the submitting transaction ends */
	StartTransactionCommand();
	if (TransactionIdIsValid(args.submit_xid))
		XactLockTableWait(args.submit_xid, NULL, NULL, XLTW_None);
	role = MemoryContextStrdup(cxt, GetUserNameFromId(GetSessionUserId(), false));
	CommitTransactionCommand();
	MemoryContextSwitchTo(cxt);

	result = palloc0(sizeof(PgmRunResult));
	PG_TRY();
	{
		PgmRunOptions opts;
		char	   *dir = start_job(job_id, role);

		if (dir == NULL)
			proc_exit(0);		/* canceled before it started, or never
								 * committed */
		check_runner();
		pgm_bgw_run_options(&opts, dir);
		pgm_run_folder(&opts, result);
	}
	PG_CATCH();
	{
		/* an error of the worker's own, outside any migration */
		ErrorData  *edata = pgm_unit_catch(cxt);

		pgm_bgw_release_session_locks();
		result->canceled = edata->sqlerrcode == ERRCODE_QUERY_CANCELED;
		result->failed = !result->canceled;
		result->error = pgm_error_line(edata);
		edata->elevel = LOG;
		edata->output_to_client = false;
		ThrowErrorData(edata);
	}
	PG_END_TRY();

	finish_job(job_id, result);
	proc_exit(0);
}

/* ---------- SQL-callable functions ---------- */

/*
 * migrate_apply_async(dir text) RETURNS bigint
 *
 * Records a job and starts its worker, which waits for this transaction to
 * commit before it reads the job: a rolled-back submission runs nothing.
 * The job runs as the current role, which must be able to log in.
 */
Datum
migrate_apply_async(PG_FUNCTION_ARGS)
{
	char	   *dir;
	int64		job_id;
	int			nestlevel;

	pgm_check_access();
	dir = pgm_folder_argument(fcinfo, 0);
	pgm_check_primary();
	(void) pgm_check_folder(dir);
	pgm_bgw_check_login(GetUserId(), "a migration job");

	nestlevel = pgm_bookkeeping_begin();
	pgm_bgw_check_extension_updated();
	job_id = pgm_job_submit(dir, GetUserId(), 0, NULL, NULL);
	pgm_bookkeeping_end(nestlevel);
	PG_RETURN_INT64(job_id);
}

/*
 * The job's state as migrate_jobs shows it; NULL if there is no such job,
 * or it is another role's and the caller is not a superuser (read as the
 * owner, with the caller's identity in values[1] and values[2]).
 * *own_xact: the job was submitted by this very transaction.  *blocking:
 * the job's worker is waiting for this session.
 */
static const char *
job_state(int64 job_id, Datum *values, bool *own_xact, bool *blocking)
{
	Oid			types[3] = {INT8OID, BOOLOID, TEXTOID};
	const char *state = NULL;

	values[0] = Int64GetDatum(job_id);
	pgm_bgw_owner_execute("jobs",
						  "SELECT v.state, "
						  "j.submit_xid OPERATOR(pg_catalog.=) pg_catalog.pg_current_xact_id_if_assigned(), "
						  "pg_catalog.pg_backend_pid() OPERATOR(pg_catalog.=) ANY (pg_catalog.pg_blocking_pids(j.pid)) "
						  "FROM " JOB_STATES " v JOIN pgmigrate.jobs j ON j.job_id OPERATOR(pg_catalog.=) v.job_id "
						  "WHERE v.job_id OPERATOR(pg_catalog.=) $1 "
						  "AND ($2 OR j.role OPERATOR(pg_catalog.=) $3::pg_catalog.name)",
						  3, types, values, NULL, SPI_OK_SELECT, "reading the migration job");
	if (SPI_processed == 1)
	{
		bool		isnull;

		state = known_state(SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1));
		*own_xact = DatumGetBool(SPI_getbinval(SPI_tuptable->vals[0],
											   SPI_tuptable->tupdesc, 2, &isnull)) && !isnull;
		*blocking = DatumGetBool(SPI_getbinval(SPI_tuptable->vals[0],
											   SPI_tuptable->tupdesc, 3, &isnull)) && !isnull;
	}
	SPI_freetuptable(SPI_tuptable);
	return state;
}

/*
 * When a wait of timeout from now ends: 22023 for a negative timeout, 22008
 * for one past the end of time (a month counts as 30 days).
 */
static TimestampTz
wait_deadline(Interval *timeout)
{
	TimestampTz now = GetCurrentTimestamp();
	TimestampTz deadline;
	int64		usecs;
	bool		overflow;

	overflow = !pgm_interval_usecs(timeout, &usecs);
	if (!overflow && usecs < 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("timeout must not be negative"),
				 errdetail("The timeout given was %s.",
						   DatumGetCString(DirectFunctionCall1(interval_out,
															   IntervalPGetDatum(timeout)))),
				 errhint("Give a timeout of zero or more, or NULL to wait until the job ends.")));
	if (overflow || pg_add_s64_overflow(now, usecs, &deadline) ||
		!IS_VALID_TIMESTAMP(deadline))
		ereport(ERROR,
				(errcode(ERRCODE_DATETIME_VALUE_OUT_OF_RANGE),
				 errmsg("timeout is out of range"),
				 errdetail("The timeout given was %s.",
						   DatumGetCString(DirectFunctionCall1(interval_out,
															   IntervalPGetDatum(timeout)))),
				 errhint("Give a shorter timeout, or NULL to wait until the job ends.")));
	return deadline;
}

/* What one look at a job found. */
typedef struct JobLook
{
	const char *state;			/* a PGM_JOB_* constant; NULL: no such job */
	bool		own_xact;		/* submitted in this transaction */
	bool		blocking;		/* its worker waits for this session */
} JobLook;

typedef struct LookArgs
{
	int64		job_id;
	Datum	   *caller;
	JobLook    *look;
} LookArgs;

static void
look_at_job(void *arg)
{
	LookArgs   *a = (LookArgs *) arg;

	pgstat_clear_backend_activity_snapshot();
	a->look->state = job_state(a->job_id, a->caller, &a->look->own_xact,
							   &a->look->blocking);
}

/*
 * One look at the job in a subtransaction that is rolled back: whatever
 * the query left in transaction memory (its locks, snapshots, plans) is
 * freed, so a wait of hours does not grow the backend.
 */
static void
look_once(int64 job_id, Datum *caller, JobLook *look)
{
	LookArgs	args = {job_id, caller, look};

	memset(look, 0, sizeof(JobLook));
	pgm_rolled_back_subxact(look_at_job, &args);
}

/*
 * migrate_wait(job_id bigint, timeout interval DEFAULT NULL) RETURNS text
 *
 * Polls the job every 100 ms with a fresh snapshot, and fresh activity
 * statistics (which tell whether its worker lives), until it ends or the
 * timeout passes; returns its state then.  A call is one statement, whose
 * snapshot a job's CREATE INDEX CONCURRENTLY waits for: when the job is
 * found waiting for this session, the call stops with an error rather than
 * wait for ever, pointing to CALL migrate_await, which holds no snapshot.
 * Each look runs in a subtransaction rolled back after it.
 */
Datum
migrate_wait(PG_FUNCTION_ARGS)
{
	int64		job_id;
	TimestampTz deadline = 0;
	const char *state;
	Datum		caller[3];
	int			nestlevel;

	pgm_check_access();
	job_id = pgm_job_id_argument(fcinfo, 0);
	if (IsolationUsesXactSnapshot())
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("migrate_wait cannot see a job's progress in a %s transaction",
						XactIsoLevel == XACT_SERIALIZABLE ? "SERIALIZABLE" : "REPEATABLE READ"),
				 errdetail("Its snapshot never shows the worker's later changes."),
				 errhint("Call migrate_wait in a READ COMMITTED transaction.")));
	if (!PG_ARGISNULL(1))
		deadline = wait_deadline(PG_GETARG_INTERVAL_P(1));

	nestlevel = pgm_bookkeeping_begin();
	pgm_bgw_check_extension_updated();
	caller[1] = BoolGetDatum(superuser());
	caller[2] = CStringGetTextDatum(GetUserNameFromId(GetUserId(), false));
	for (;;)
	{
		JobLook		look;

		look_once(job_id, caller, &look);
		state = look.state;
		if (state == NULL)
			raise_no_job(job_id);
		if (look.own_xact)
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
		if (look.blocking)
			ereport(ERROR,
					(errcode(ERRCODE_LOCK_NOT_AVAILABLE),
					 errmsg("migration job " INT64_FORMAT " is waiting for this session", job_id),
					 errdetail("The job runs a statement such as CREATE INDEX CONCURRENTLY, which waits until every snapshot older than its own is gone, including the one this call holds."),
					 errhint("Wait with CALL migrate_await(" INT64_FORMAT "), which holds no snapshot while it waits.",
							 job_id)));
		pgm_wait(100L, PG_WAIT_EXTENSION);
	}
	pgm_bookkeeping_end(nestlevel);
	/* state is a PGM_JOB_* constant, not SPI memory */
	PG_RETURN_TEXT_P(cstring_to_text(state));
}

/* CALL migrate_await at top level or from a procedure, never in a block. */
static void
check_nonatomic(FunctionCallInfo fcinfo)
{
	CallContext *call = (CallContext *) fcinfo->context;

	if (call == NULL || !IsA(call, CallContext) || call->atomic ||
		IsTransactionBlock())
		ereport(ERROR,
				(errcode(ERRCODE_ACTIVE_SQL_TRANSACTION),
				 errmsg("migrate_await cannot run inside a transaction block"),
				 errdetail("It commits the transaction it is called in, then waits outside any transaction."),
				 errhint("CALL migrate_await outside BEGIN ... COMMIT, or use migrate_wait() inside a transaction.")));
}

/*
 * migrate_await(job_id bigint, timeout interval DEFAULT NULL,
 *				 INOUT state text DEFAULT NULL)
 *	  a procedure
 *
 * migrate_wait without its limit: the transaction the CALL runs in is
 * committed first (so a job submitted in the same CALL starts), and each
 * look at the job is a transaction of its own, committed before the wait
 * that follows it, so this session holds no snapshot while it waits and a
 * job's CREATE INDEX CONCURRENTLY never waits for it.  The same rules as
 * migrate_wait otherwise: a superuser waits for any job, a role for its own.
 * Works from a procedure or DO block too: it commits through SPI.
 */
Datum
migrate_await(PG_FUNCTION_ARGS)
{
	MemoryContext cxt = CurrentMemoryContext;
	int64		job_id;
	TimestampTz deadline = 0;
	const char *state;
	Datum		caller[3];
	TupleDesc	tupdesc;
	Datum		result;
	bool		isnull = false;

	pgm_check_access();
	check_nonatomic(fcinfo);
	job_id = pgm_job_id_argument(fcinfo, 0);
	if (!PG_ARGISNULL(1))
		deadline = wait_deadline(PG_GETARG_INTERVAL_P(1));
	if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "migrate_await must return a record");
	tupdesc = BlessTupleDesc(tupdesc);
	caller[1] = BoolGetDatum(superuser());
	caller[2] = CStringGetTextDatum(GetUserNameFromId(GetUserId(), false));

	pgm_spi_check(SPI_connect_ext(SPI_OPT_NONATOMIC), SPI_OK_CONNECT, "SPI_connect_ext");
	SPI_commit();
	for (;;)
	{
		bool		own_xact = false;
		bool		blocking = false;
		int			nestlevel;

		PushActiveSnapshot(GetTransactionSnapshot());
		nestlevel = pgm_bookkeeping_begin();
		pgm_bgw_check_extension_updated();
		pgstat_clear_backend_activity_snapshot();
		state = job_state(job_id, caller, &own_xact, &blocking);
		pgm_bookkeeping_end(nestlevel);
		PopActiveSnapshot();
		/* the look's memory and snapshots go with its transaction */
		SPI_commit();

		if (state == NULL)
			raise_no_job(job_id);
		if (is_final(state) || (deadline != 0 && GetCurrentTimestamp() >= deadline))
			break;
		pgm_wait(100L, PG_WAIT_EXTENSION);
	}
	pgm_spi_check(SPI_finish(), SPI_OK_FINISH, "SPI_finish");

	MemoryContextSwitchTo(cxt);
	/* state is a PGM_JOB_* constant */
	result = CStringGetTextDatum(state);
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(tupdesc, &result, &isnull)));
}

/*
 * migrate_cancel(job_id bigint) RETURNS boolean
 *
 * A queued job is marked canceled; a running one gets a query cancel, so
 * its running migration rolls back.  A role other than a superuser cancels
 * its own jobs only (others' do not exist for it, as in migrate_jobs);
 * signalling needs the rights of pg_cancel_backend, checked as the caller.
 */
Datum
migrate_cancel(PG_FUNCTION_ARGS)
{
	int64		job_id;
	Oid			types[3] = {INT8OID, BOOLOID, TEXTOID};
	Datum		values[3];
	const char *state;
	bool		isnull;
	Datum		pid;
	bool		done = false;
	int			nestlevel;

	pgm_check_access();
	job_id = pgm_job_id_argument(fcinfo, 0);
	pgm_check_primary();
	nestlevel = pgm_bookkeeping_begin();
	pgm_bgw_check_extension_updated();
	values[0] = Int64GetDatum(job_id);
	values[1] = BoolGetDatum(superuser());
	values[2] = CStringGetTextDatum(GetUserNameFromId(GetUserId(), false));
	pgm_bgw_owner_execute("jobs",
						  "SELECT state, pid FROM pgmigrate.jobs "
						  "WHERE job_id OPERATOR(pg_catalog.=) $1 "
						  "AND ($2 OR role OPERATOR(pg_catalog.=) $3::pg_catalog.name) FOR UPDATE",
						  3, types, values, NULL, SPI_OK_SELECT, "reading the migration job");
	if (SPI_processed != 1)
		raise_no_job(job_id);
	state = known_state(SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1));
	pid = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 2, &isnull);

	if (strcmp(state, PGM_JOB_QUEUED) == 0)
	{
		pgm_bgw_owner_execute("jobs",
							  "UPDATE pgmigrate.jobs SET state = '" PGM_JOB_CANCELED "', "
							  "error = 'canceled before it started', "
							  "finished_at = pg_catalog.clock_timestamp() "
							  "WHERE job_id OPERATOR(pg_catalog.=) $1",
							  1, types, values, NULL, SPI_OK_UPDATE, "canceling the migration job");
		done = true;
	}
	if (strcmp(state, PGM_JOB_RUNNING) == 0 && !isnull)
		done = DatumGetBool(DirectFunctionCall1(pg_cancel_backend, pid));
	pgm_bookkeeping_end(nestlevel);
	PG_RETURN_BOOL(done);
}
