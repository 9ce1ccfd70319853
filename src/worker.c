/*-------------------------------------------------------------------------
 *
 * worker.c
 *	  Background workers: launcher, scheduler and job workers.
 *
 * Three kinds of process, so that nothing crash-loops and every run is a
 * unit of its own:
 *   - the launcher (static, with shared_preload_libraries) connects to no
 *     database, only to the shared catalogs, like the logical replication
 *     launcher.  It checks that pg_migrate.database exists, warning at
 *     most every five minutes when it does not, and keeps one scheduler
 *     running there, restarting it no sooner than every ten seconds;
 *   - the scheduler (dynamic, in pg_migrate.database) applies
 *     pg_migrate.directory at start, on reload, on migrate_wakeup() and
 *     every pg_migrate.interval, but only when the folder's fingerprint
 *     (names, sizes, modification times) changed: an idle scheduler reads
 *     one directory listing per interval.  It also starts due schedules;
 *   - job workers (dynamic, any database, no preload needed) run one
 *     migrate_apply_async() job or one scheduled run as the submitting role.
 *
 * Signals: SIGTERM is die(), so a running migration is interrupted at the
 * next CHECK_FOR_INTERRUPTS and its transaction rolls back; SIGHUP reloads
 * the configuration; waits use the process latch with WL_EXIT_ON_PM_DEATH.
 * Standbys run nothing: workers start at BgWorkerStart_RecoveryFinished.
 *
 * Shared memory (only when preloaded): the scheduler's latch, so that
 * migrate_wakeup() can set it, and a wake-up counter.
 *
 * IDENTIFICATION
 *	  src/worker.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/heapam.h"
#include "access/htup_details.h"
#include "access/table.h"
#include "access/tableam.h"
#include "access/xact.h"
#include "catalog/pg_database.h"
#include "catalog/pg_type.h"
#include "commands/dbcommands.h"
#include "commands/extension.h"
#include "executor/spi.h"
#include "folder.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "postmaster/bgworker.h"
#include "postmaster/interrupt.h"
#include "apply_worker.h"
#include "unit.h"
#include "storage/ipc.h"
#include "storage/latch.h"
#include "storage/lmgr.h"
#include "storage/proc.h"
#include "storage/shmem.h"
#include "storage/spin.h"
#include "tcop/tcopprot.h"
#include "utils/acl.h"
#include "utils/backend_status.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/memutils.h"
#include "utils/snapmgr.h"
#include "utils/timestamp.h"
#include "utils/wait_event.h"
#include "worker.h"

#define WARN_EVERY_MS		(5 * 60 * 1000)	/* repeated problems, at most */
#define RESTART_DELAY_MS	(10 * 1000)		/* between scheduler starts */

char	   *pgm_worker_database = NULL;
int			pgm_lock_timeout_ms = 0;
int			pgm_lock_retries = 3;
static char *pgm_worker_directory = NULL;
static int	pgm_worker_interval_s = 60;

typedef struct PgmWorkerShared
{
	slock_t		mutex;
	pid_t		scheduler_pid;
	Latch	   *scheduler_latch;
	uint64		wakeups;
} PgmWorkerShared;

static PgmWorkerShared *shared = NULL;
static bool preloaded = false;

#if PG_VERSION_NUM >= 150000
static shmem_request_hook_type prev_shmem_request_hook = NULL;
#endif
static shmem_startup_hook_type prev_shmem_startup_hook = NULL;

/* What bgw_extra of a job worker carries. */
typedef struct JobArgs
{
	Oid			dboid;
	Oid			roleid;
	TransactionId submit_xid;	/* the job row is visible once it ends */
} JobArgs;

/* A problem logged at WARNING at most every WARN_EVERY_MS. */
typedef struct RateLimit
{
	TimestampTz last;
	char		key[256];
} RateLimit;

static bool
should_warn(RateLimit *rl, const char *key)
{
	TimestampTz now = GetCurrentTimestamp();

	if (strcmp(rl->key, key) != 0 ||
		TimestampDifferenceExceeds(rl->last, now, WARN_EVERY_MS))
	{
		strlcpy(rl->key, key, sizeof(rl->key));
		rl->last = now;
		return true;
	}
	return false;
}

/* ---------- settings and shared memory ---------- */

static void
shmem_request(void)
{
#if PG_VERSION_NUM >= 150000
	if (prev_shmem_request_hook)
		prev_shmem_request_hook();
#endif
	RequestAddinShmemSpace(MAXALIGN(sizeof(PgmWorkerShared)));
}

static void
shmem_startup(void)
{
	bool		found;

	if (prev_shmem_startup_hook)
		prev_shmem_startup_hook();
	LWLockAcquire(AddinShmemInitLock, LW_EXCLUSIVE);
	shared = ShmemInitStruct("pg_migrate", sizeof(PgmWorkerShared), &found);
	if (!found)
	{
		memset(shared, 0, sizeof(PgmWorkerShared));
		SpinLockInit(&shared->mutex);
	}
	LWLockRelease(AddinShmemInitLock);
}

/* Every pg_migrate worker: database access, never on a standby. */
static void
init_worker(BackgroundWorker *worker, const char *function, const char *type)
{
	memset(worker, 0, sizeof(BackgroundWorker));
	worker->bgw_flags = BGWORKER_SHMEM_ACCESS | BGWORKER_BACKEND_DATABASE_CONNECTION;
	worker->bgw_start_time = BgWorkerStart_RecoveryFinished;
	worker->bgw_restart_time = BGW_NEVER_RESTART;
	snprintf(worker->bgw_library_name, BGW_MAXLEN, "pg_migrate");
	snprintf(worker->bgw_function_name, BGW_MAXLEN, "%s", function);
	snprintf(worker->bgw_name, BGW_MAXLEN, "%s", type);
	snprintf(worker->bgw_type, BGW_MAXLEN, "%s", type);
}

static void
register_launcher(void)
{
	BackgroundWorker worker;

	init_worker(&worker, "pgm_launcher_main", "pg_migrate launcher");
	worker.bgw_restart_time = RESTART_DELAY_MS / 1000;
	RegisterBackgroundWorker(&worker);
}

void
pgm_worker_init(void)
{
	DefineCustomStringVariable("pg_migrate.directory",
							   "Sets the migration folder the background worker applies.",
							   "Empty means the worker applies no folder by itself.",
							   &pgm_worker_directory,
							   "",
							   PGC_SIGHUP,
							   GUC_SUPERUSER_ONLY,
							   NULL, NULL, NULL);
	DefineCustomIntVariable("pg_migrate.interval",
							"Sets how often the background worker looks for new migrations.",
							"0 means only at start, on reload and on migrate_wakeup().",
							&pgm_worker_interval_s,
							60,
							0,
							INT_MAX / 1000,
							PGC_SIGHUP,
							GUC_UNIT_S,
							NULL, NULL, NULL);
	DefineCustomIntVariable("pg_migrate.lock_timeout",
							"Sets lock_timeout for migrations run by background workers.",
							"0 turns the timeout off.",
							&pgm_lock_timeout_ms,
							0,
							0,
							INT_MAX,
							PGC_SIGHUP,
							GUC_UNIT_MS,
							NULL, NULL, NULL);
	DefineCustomIntVariable("pg_migrate.lock_retries",
							"Sets how often a background worker retries a migration after a lock timeout.",
							NULL,
							&pgm_lock_retries,
							3,
							0,
							1000,
							PGC_SIGHUP,
							0,
							NULL, NULL, NULL);

	if (!process_shared_preload_libraries_in_progress)
		return;

	/* a postmaster setting can only be defined while preloading */
	DefineCustomStringVariable("pg_migrate.database",
							   "Sets the database the background worker applies migrations to.",
							   "Schedules also live in this database.",
							   &pgm_worker_database,
							   "postgres",
							   PGC_POSTMASTER,
							   0,
							   NULL, NULL, NULL);
	preloaded = true;
#if PG_VERSION_NUM >= 150000
	prev_shmem_request_hook = shmem_request_hook;
	shmem_request_hook = shmem_request;
#else
	shmem_request();
#endif
	prev_shmem_startup_hook = shmem_startup_hook;
	shmem_startup_hook = shmem_startup;
	register_launcher();
}

const char *
pgm_worker_database_name(void)
{
	const char *name = pgm_worker_database;

	if (name == NULL)
		name = GetConfigOption("pg_migrate.database", true, false);
	return (name != NULL && name[0] != '\0') ? name : "postgres";
}

bool
pgm_worker_preloaded(void)
{
	return preloaded && shared != NULL;
}

bool
pgm_worker_wakeup(void)
{
	Latch	   *latch;

	if (!pgm_worker_preloaded())
		return false;
	SpinLockAcquire(&shared->mutex);
	shared->wakeups++;
	latch = shared->scheduler_latch;
	SpinLockRelease(&shared->mutex);
	if (latch == NULL)
		return false;
	SetLatch(latch);
	return true;
}

static uint64
wakeup_count(void)
{
	uint64		n;

	SpinLockAcquire(&shared->mutex);
	n = shared->wakeups;
	SpinLockRelease(&shared->mutex);
	return n;
}

static void
wait_latch(long timeout_ms)
{
	(void) WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH,
					 timeout_ms, PG_WAIT_EXTENSION);
	ResetLatch(MyLatch);
	CHECK_FOR_INTERRUPTS();
}

static void
reload_config_if_asked(bool *reloaded)
{
	if (ConfigReloadPending)
	{
		ConfigReloadPending = false;
		ProcessConfigFile(PGC_SIGHUP);
		if (reloaded)
			*reloaded = true;
	}
}

/* ---------- the launcher ---------- */

/*
 * The launcher has no database, only shared catalogs, and right after a
 * start or crash their indexes may not be in the relation cache: scan
 * pg_database's heap, as the logical replication launcher scans
 * pg_subscription.
 */
static Oid
configured_database_oid(void)
{
	Oid			dboid = InvalidOid;
	Relation	rel;
	TableScanDesc scan;
	HeapTuple	tup;

	StartTransactionCommand();
	rel = table_open(DatabaseRelationId, AccessShareLock);
	scan = table_beginscan_catalog(rel, 0, NULL);
	while ((tup = heap_getnext(scan, ForwardScanDirection)) != NULL)
	{
		Form_pg_database db = (Form_pg_database) GETSTRUCT(tup);

		if (strcmp(NameStr(db->datname), pgm_worker_database) == 0)
		{
			dboid = db->oid;
			break;
		}
	}
	table_endscan(scan);
	table_close(rel, AccessShareLock);
	CommitTransactionCommand();
	return dboid;
}

static BackgroundWorkerHandle *
start_scheduler(Oid dboid)
{
	BackgroundWorker worker;
	BackgroundWorkerHandle *handle;

	init_worker(&worker, "pgm_scheduler_main", "pg_migrate scheduler");
	snprintf(worker.bgw_name, BGW_MAXLEN, "pg_migrate scheduler for database \"%s\"",
			 pgm_worker_database);
	worker.bgw_main_arg = ObjectIdGetDatum(dboid);
	worker.bgw_notify_pid = MyProcPid;

	if (!RegisterDynamicBackgroundWorker(&worker, &handle))
		return NULL;
	return handle;
}

void
pgm_launcher_main(Datum main_arg)
{
	BackgroundWorkerHandle *handle = NULL;
	TimestampTz next_start = 0;
	RateLimit	warned;

	memset(&warned, 0, sizeof(warned));
	pqsignal(SIGHUP, SignalHandlerForConfigReload);
	pqsignal(SIGTERM, die);
	BackgroundWorkerUnblockSignals();
	BackgroundWorkerInitializeConnection(NULL, NULL, 0);

	for (;;)
	{
		pid_t		pid;

		CHECK_FOR_INTERRUPTS();
		reload_config_if_asked(NULL);

		if (handle != NULL &&
			GetBackgroundWorkerPid(handle, &pid) == BGWH_STOPPED)
		{
			pfree(handle);
			handle = NULL;
			next_start = TimestampTzPlusMilliseconds(GetCurrentTimestamp(), RESTART_DELAY_MS);
		}

		if (handle == NULL && GetCurrentTimestamp() >= next_start)
		{
			Oid			dboid = configured_database_oid();

			if (!OidIsValid(dboid))
			{
				if (should_warn(&warned, "no database"))
					ereport(WARNING,
							(errcode(ERRCODE_UNDEFINED_DATABASE),
							 errmsg("pg_migrate: database \"%s\" does not exist", pgm_worker_database),
							 errdetail("pg_migrate.database names the database the background worker applies migrations to."),
							 errhint("Create the database, or set pg_migrate.database and restart the server. This warning repeats every five minutes.")));
			}
			else
			{
				handle = start_scheduler(dboid);
				if (handle == NULL && should_warn(&warned, "no slot"))
					ereport(WARNING,
							(errcode(ERRCODE_CONFIGURATION_LIMIT_EXCEEDED),
							 errmsg("pg_migrate: could not start the scheduler for database \"%s\"",
									pgm_worker_database),
							 errdetail("All background worker slots are in use."),
							 errhint("Raise max_worker_processes.")));
				next_start = TimestampTzPlusMilliseconds(GetCurrentTimestamp(), RESTART_DELAY_MS);
			}
		}
		wait_latch(RESTART_DELAY_MS);
	}
}

/* ---------- the scheduler ---------- */

static void
scheduler_detach(int code, Datum arg)
{
	SpinLockAcquire(&shared->mutex);
	if (shared->scheduler_pid == MyProcPid)
	{
		shared->scheduler_pid = 0;
		shared->scheduler_latch = NULL;
	}
	SpinLockRelease(&shared->mutex);
}

/* Creates the extension in pg_migrate.database when a folder is configured. */
static bool
ensure_extension(void)
{
	bool		present;

	pgm_unit_begin();
	present = OidIsValid(get_extension_oid("pg_migrate", true));
	if (!present)
	{
		if (SPI_execute("CREATE EXTENSION IF NOT EXISTS pg_migrate", false, 0) != SPI_OK_UTILITY)
			elog(ERROR, "pg_migrate: could not create the extension");
		ereport(LOG,
				(errmsg("pg_migrate: created extension pg_migrate in database \"%s\"",
						pgm_worker_database)));
	}
	pgm_unit_end();
	return true;
}

/* Applies pg_migrate.directory if it changed since the last run (or force). */
static void
watch_folder(bool force, bool *have_sig, uint64 *last_sig, RateLimit *warned)
{
	PgmRunOptions opts;
	PgmRunResult result;
	uint64		sig;

	if (!pgm_folder_signature(pgm_worker_directory, &sig))
	{
		if (should_warn(warned, "folder"))
			ereport(WARNING,
					(errcode_for_file_access(),
					 errmsg("pg_migrate: could not read migration folder \"%s\": %m",
							pgm_worker_directory),
					 errdetail("pg_migrate.directory names the folder the background worker applies."),
					 errhint("Create the folder or fix pg_migrate.directory, then reload. This warning repeats every five minutes.")));
		*have_sig = false;
		return;
	}
	if (!force && *have_sig && sig == *last_sig)
		return;

	ensure_extension();
	memset(&opts, 0, sizeof(opts));
	opts.dir = pgm_worker_directory;
	opts.applied_by = "pg_migrate worker";
	opts.lock_timeout_ms = pgm_lock_timeout_ms;
	opts.lock_retries = pgm_lock_retries;
	pgm_run_folder(&opts, &result);

	/* a failed run is retried when the folder changes, or on wake-up */
	*have_sig = true;
	*last_sig = sig;
}

/* Job rows whose worker is gone (server restarted) are failed. */
static void
fail_orphaned_jobs(void)
{
	pgm_unit_begin();
	if (OidIsValid(get_extension_oid("pg_migrate", true)))
		(void) SPI_execute("UPDATE pgmigrate.jobs j SET state = 'failed', "
						   "error = 'server restarted before the job finished', "
						   "finished_at = pg_catalog.clock_timestamp() "
						   "WHERE state IN ('queued', 'running') AND NOT EXISTS "
						   "(SELECT 1 FROM pg_catalog.pg_stat_activity a WHERE a.pid = j.pid "
						   " AND a.backend_type = 'pg_migrate job' "
						   " AND a.backend_start >= j.submitted_at)",
						   false, 0);
	pgm_unit_end();
}

/*
 * Starts a job for every due schedule and moves repeating schedules to
 * their next future time (missed runs are not made up).  Returns the time
 * of the next schedule, or 0.
 */
static TimestampTz
run_due_schedules(void)
{
	TimestampTz next = 0;
	uint64		i;

	pgm_unit_begin();
	if (!OidIsValid(get_extension_oid("pg_migrate", true)))
	{
		pgm_unit_end();
		return 0;
	}

	if (SPI_execute("WITH due AS ("
					"  SELECT schedule_id, dir, role, every FROM pgmigrate.schedules"
					"  WHERE run_at <= pg_catalog.clock_timestamp()"
					"  ORDER BY run_at FOR UPDATE SKIP LOCKED) "
					"INSERT INTO pgmigrate.jobs (role, dir, schedule_id) "
					"SELECT role, dir, schedule_id FROM due "
					"RETURNING job_id, role, schedule_id",
					false, 0) != SPI_OK_INSERT_RETURNING)
		elog(ERROR, "pg_migrate: starting scheduled runs failed");

	if (SPI_processed > 0)
	{
		SPITupleTable *jobs = SPI_tuptable;
		uint64		n = SPI_processed;

		for (i = 0; i < n; i++)
		{
			bool		isnull;
			int64		job_id = DatumGetInt64(SPI_getbinval(jobs->vals[i], jobs->tupdesc, 1, &isnull));
			char	   *role = SPI_getvalue(jobs->vals[i], jobs->tupdesc, 2);
			Oid			roleid = get_role_oid(role, true);
			int			pid = 0;

			if (OidIsValid(roleid))
				pid = pgm_job_launch(job_id, MyDatabaseId, roleid);
			ereport(LOG,
					(errmsg("pg_migrate: started scheduled run as job " INT64_FORMAT " (worker %d)",
							job_id, pid)));
		}
		(void) SPI_execute("UPDATE pgmigrate.schedules s SET last_job_id = j.job_id, "
						   "run_at = s.run_at + s.every * (pg_catalog.floor(extract(epoch FROM "
						   "  pg_catalog.clock_timestamp() - s.run_at) / extract(epoch FROM s.every)) + 1) "
						   "FROM pgmigrate.jobs j WHERE j.schedule_id = s.schedule_id "
						   "AND j.state = 'queued' AND s.run_at <= pg_catalog.clock_timestamp() "
						   "AND s.every IS NOT NULL",
						   false, 0);
		(void) SPI_execute("DELETE FROM pgmigrate.schedules "
						   "WHERE every IS NULL AND run_at <= pg_catalog.clock_timestamp()",
						   false, 0);
	}

	if (SPI_execute("SELECT pg_catalog.min(run_at) FROM pgmigrate.schedules", false, 0) == SPI_OK_SELECT &&
		SPI_processed == 1)
	{
		bool		isnull;
		Datum		d = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull);

		if (!isnull)
			next = DatumGetTimestampTz(d);
	}
	pgm_unit_end();
	return next;
}

/* Runs one pass of the scheduler's loop; errors are logged, not fatal. */
static long
scheduler_pass(bool force, bool *have_sig, uint64 *last_sig, TimestampTz *next_check,
			   RateLimit *warned)
{
	TimestampTz now = GetCurrentTimestamp();
	TimestampTz next_schedule;
	long		timeout_ms = 60 * 1000L;

	if (pgm_worker_directory[0] != '\0' &&
		(force || (pgm_worker_interval_s > 0 && now >= *next_check)))
	{
		watch_folder(force, have_sig, last_sig, warned);
		*next_check = TimestampTzPlusMilliseconds(GetCurrentTimestamp(),
												  (int64) pgm_worker_interval_s * 1000);
	}

	next_schedule = run_due_schedules();

	now = GetCurrentTimestamp();
	if (pgm_worker_directory[0] != '\0' && pgm_worker_interval_s > 0)
	{
		long		secs;
		int			usecs;

		TimestampDifference(now, *next_check, &secs, &usecs);
		timeout_ms = Min(timeout_ms, secs * 1000L + usecs / 1000 + 1);
	}
	if (next_schedule != 0)
	{
		long		secs;
		int			usecs;

		TimestampDifference(now, next_schedule, &secs, &usecs);
		timeout_ms = Min(timeout_ms, secs * 1000L + usecs / 1000 + 1);
	}
	return Max(timeout_ms, 1);
}

void
pgm_scheduler_main(Datum main_arg)
{
	MemoryContext loop_cxt;
	uint64		seen_wakeups;
	bool		first = true;
	bool		have_sig = false;
	uint64		last_sig = 0;
	TimestampTz next_check = 0;
	RateLimit	warned;

	memset(&warned, 0, sizeof(warned));
	pqsignal(SIGHUP, SignalHandlerForConfigReload);
	pqsignal(SIGTERM, die);
	BackgroundWorkerUnblockSignals();
	BackgroundWorkerInitializeConnectionByOid(DatumGetObjectId(main_arg), InvalidOid, 0);
	pgstat_report_appname("pg_migrate scheduler");

	SpinLockAcquire(&shared->mutex);
	shared->scheduler_pid = MyProcPid;
	shared->scheduler_latch = MyLatch;
	seen_wakeups = shared->wakeups;
	SpinLockRelease(&shared->mutex);
	on_shmem_exit(scheduler_detach, (Datum) 0);

	loop_cxt = AllocSetContextCreate(TopMemoryContext, "pg_migrate scheduler loop",
									 ALLOCSET_DEFAULT_SIZES);
	fail_orphaned_jobs();

	for (;;)
	{
		bool		force = first;
		long		timeout_ms = RESTART_DELAY_MS;
		uint64		wakeups;

		CHECK_FOR_INTERRUPTS();
		reload_config_if_asked(&force);
		wakeups = wakeup_count();
		if (wakeups != seen_wakeups)
		{
			seen_wakeups = wakeups;
			force = true;
		}
		first = false;

		MemoryContextSwitchTo(loop_cxt);
		MemoryContextReset(loop_cxt);
		PG_TRY();
		{
			timeout_ms = scheduler_pass(force, &have_sig, &last_sig, &next_check, &warned);
		}
		PG_CATCH();
		{
			MemoryContextSwitchTo(loop_cxt);
			EmitErrorReport();
			FlushErrorState();
			AbortCurrentTransaction();
		}
		PG_END_TRY();
		pgstat_report_activity(STATE_IDLE, NULL);

		wait_latch(timeout_ms);
	}
}

/* ---------- job workers ---------- */

/*
 * migrate_jobs tells a live job from a dead one by its worker's row in
 * pg_stat_activity, which appears a little after the process starts: wait
 * for it, so that a job is never shown failed just after its submission.
 */
static void
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
				return;
		}
		if (GetBackgroundWorkerPid(handle, &current) != BGWH_STARTED)
			return;				/* it already exited */
		(void) WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH,
						 1L, PG_WAIT_EXTENSION);
		ResetLatch(MyLatch);
		CHECK_FOR_INTERRUPTS();
	}
}

int
pgm_job_launch(int64 job_id, Oid dboid, Oid roleid)
{
	BackgroundWorker worker;
	BackgroundWorkerHandle *handle;
	JobArgs		args;
	pid_t		pid;

	init_worker(&worker, "pgm_job_main", "pg_migrate job");
	snprintf(worker.bgw_name, BGW_MAXLEN, "pg_migrate job " INT64_FORMAT, job_id);
	worker.bgw_main_arg = Int64GetDatum(job_id);
	worker.bgw_notify_pid = MyProcPid;

	args.dboid = dboid;
	args.roleid = roleid;
	args.submit_xid = GetTopTransactionId();
	StaticAssertStmt(sizeof(JobArgs) <= BGW_EXTRALEN, "JobArgs must fit in bgw_extra");
	memcpy(worker.bgw_extra, &args, sizeof(args));

	if (!RegisterDynamicBackgroundWorker(&worker, &handle))
		ereport(ERROR,
				(errcode(ERRCODE_CONFIGURATION_LIMIT_EXCEEDED),
				 errmsg("could not start a background worker for migration job " INT64_FORMAT, job_id),
				 errdetail("All background worker slots are in use (max_worker_processes = %d).",
						   max_worker_processes),
				 errhint("Raise max_worker_processes, or wait for running jobs to finish.")));

	if (WaitForBackgroundWorkerStartup(handle, &pid) != BGWH_STARTED)
		ereport(ERROR,
				(errcode(ERRCODE_CONNECTION_FAILURE),
				 errmsg("background worker for migration job " INT64_FORMAT " did not start", job_id),
				 errdetail("The postmaster could not start the worker process."),
				 errhint("See the server log.")));
	wait_until_visible(handle, pid);
	return (int) pid;
}

/* Opens a unit of work and runs one statement on the job row in it. */
static void
job_sql(const char *sql, int nargs, Oid *types, Datum *values, const char *nulls,
		int expected)
{
	pgm_unit_begin();
	if (SPI_execute_with_args(sql, nargs, types, values, nulls, false, 0) != expected)
		elog(ERROR, "pg_migrate: updating the job failed");
}

static void
job_finish(int64 job_id, const char *state, int applied, const char *error)
{
	Oid			types[4] = {INT8OID, TEXTOID, INT4OID, TEXTOID};
	Datum		values[4];
	char		nulls[4] = {' ', ' ', ' ', ' '};

	values[0] = Int64GetDatum(job_id);
	values[1] = CStringGetTextDatum(state);
	values[2] = Int32GetDatum(applied);
	values[3] = error ? CStringGetTextDatum(error) : (Datum) 0;
	nulls[3] = error ? ' ' : 'n';
	job_sql("UPDATE pgmigrate.jobs SET state = $2, applied = $3, error = $4, "
			"finished_at = pg_catalog.clock_timestamp() WHERE job_id = $1",
			4, types, values, nulls, SPI_OK_UPDATE);
	pgm_unit_end();
}

void
pgm_job_main(Datum main_arg)
{
	int64		job_id = DatumGetInt64(main_arg);
	JobArgs		args;
	char	   *dir = NULL;
	PgmRunOptions opts;
	PgmRunResult result;
	Oid			types[1] = {INT8OID};
	Datum		values[1];

	memcpy(&args, MyBgworkerEntry->bgw_extra, sizeof(args));
	pqsignal(SIGTERM, die);
	BackgroundWorkerUnblockSignals();
	BackgroundWorkerInitializeConnectionByOid(args.dboid, args.roleid, 0);
	pgstat_report_appname("pg_migrate job");

	/* the job row becomes visible when the submitting transaction ends */
	StartTransactionCommand();
	if (TransactionIdIsValid(args.submit_xid))
		XactLockTableWait(args.submit_xid, NULL, NULL, XLTW_None);
	CommitTransactionCommand();

	values[0] = Int64GetDatum(job_id);
	job_sql("UPDATE pgmigrate.jobs SET state = 'running', "
			"started_at = pg_catalog.clock_timestamp(), pid = pg_catalog.pg_backend_pid() "
			"WHERE job_id = $1 AND state = 'queued' RETURNING dir",
			1, types, values, NULL, SPI_OK_UPDATE_RETURNING);
	if (SPI_processed == 1)
		dir = MemoryContextStrdup(TopMemoryContext,
								  SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1));
	pgm_unit_end();
	if (dir == NULL)
		proc_exit(0);			/* canceled before it started, or never committed */

	memset(&opts, 0, sizeof(opts));
	opts.dir = dir;
	opts.lock_timeout_ms = pgm_lock_timeout_ms;
	opts.lock_retries = pgm_lock_retries;
	pgm_run_folder(&opts, &result);

	job_finish(job_id,
			   result.canceled ? "canceled" : (result.failed ? "failed" : "succeeded"),
			   result.applied, result.error);
	proc_exit(0);
}
