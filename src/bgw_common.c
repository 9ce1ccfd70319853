/*-------------------------------------------------------------------------
 *
 * bgw_common.c
 *	  Shared parts of the background processes: settings, registration,
 *	  shared memory, waits, rate-limited warnings, SPI for bookkeeping.
 *
 * Three kinds of process, so that nothing crash-loops and every run is a
 * unit of its own:
 *   - the launcher (bgw_launcher.c; static, only with
 *     shared_preload_libraries) keeps one scheduler running in
 *     pg_migrate.database;
 *   - the scheduler (bgw_scheduler.c) applies pg_migrate.directory and
 *     starts due schedules;
 *   - job workers (bgw_job.c; dynamic, any database, no preload needed)
 *     run one migrate_apply_async() job or one scheduled run.
 *
 * Signals: SIGTERM is die(), so a running migration is interrupted at the
 * next CHECK_FOR_INTERRUPTS and its transaction rolls back; SIGHUP reloads
 * the configuration; waits use the process latch with WL_EXIT_ON_PM_DEATH.
 * Standbys run nothing: workers start at BgWorkerStart_RecoveryFinished.
 *
 * Who runs what: the scheduler applies pg_migrate.directory as the role
 * pg_migrate.role names (it connects as that role), and nothing when the
 * setting is empty; a job runs as the role that submitted it.  Bookkeeping
 * tables (pgmigrate.jobs, pgmigrate.schedules) are written only here, by
 * the extension's own statements, as the tables' owner (pgm_as_bookkeeping_owner_begin):
 * no other role has DML or LOCK on them.  Every error that escapes a run
 * gives back the session-level locks (pgm_bgw_release_session_locks).
 *
 * Shared memory (only when preloaded): the scheduler's pid and latch,
 * under a spinlock, so that migrate_wakeup() and migrate_schedule() can set
 * the latch, and a wake-up counter, so that the scheduler tells a wake-up
 * from any other reason its latch was set.
 *
 * IDENTIFICATION
 *	  src/bgw_common.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "access/xact.h"
#include "bgw_common.h"
#include "catalog/namespace.h"
#include "catalog/pg_authid.h"
#include "common/int.h"
#include "executor/spi.h"
#include "lock.h"
#include "miscadmin.h"
#include "postmaster/interrupt.h"
#include "safe_sql.h"
#include "storage/ipc.h"
#include "storage/latch.h"
#include "storage/lock.h"
#include "storage/lwlock.h"
#include "storage/shmem.h"
#include "storage/spin.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/lsyscache.h"
#include "utils/syscache.h"
#include "utils/timestamp.h"

#define WARN_EVERY_MS		(5 * 60 * 1000) /* repeated problems, at most */

/* Settings; pg_migrate.database exists only when preloaded. */
static char *bgw_database = NULL;
static char *bgw_directory = NULL;
static char *bgw_role = NULL;
static int	bgw_interval_s = 60;
static int	bgw_lock_timeout_ms = 0;
static int	bgw_lock_retries = 3;

typedef struct PgmBgwShared
{
	slock_t		mutex;
	pid_t		scheduler_pid;
	Latch	   *scheduler_latch;
	uint64		wakeups;
	uint64		attaches;		/* schedulers that connected, ever */
} PgmBgwShared;

static PgmBgwShared *shared = NULL;
static bool preloaded = false;

static shmem_request_hook_type prev_shmem_request_hook = NULL;
static shmem_startup_hook_type prev_shmem_startup_hook = NULL;

static void
shmem_request(void)
{
	if (prev_shmem_request_hook)
		prev_shmem_request_hook();
	RequestAddinShmemSpace(MAXALIGN(sizeof(PgmBgwShared)));
}

static void
shmem_startup(void)
{
	bool		found;

	if (prev_shmem_startup_hook)
		prev_shmem_startup_hook();
	LWLockAcquire(AddinShmemInitLock, LW_EXCLUSIVE);
	shared = ShmemInitStruct("pg_migrate", sizeof(PgmBgwShared), &found);
	if (!found)
	{
		memset(shared, 0, sizeof(PgmBgwShared));
		SpinLockInit(&shared->mutex);
	}
	LWLockRelease(AddinShmemInitLock);
}

void
pgm_bgw_init(void)
{
	DefineCustomStringVariable("pg_migrate.directory",
							   "Sets the migration folder the background worker applies.",
							   "Empty means the worker applies no folder by itself.",
							   &bgw_directory,
							   "",
							   PGC_SIGHUP,
							   GUC_SUPERUSER_ONLY,
							   NULL, NULL, NULL);
	DefineCustomStringVariable("pg_migrate.role",
							   "Sets the role the background worker applies pg_migrate.directory as.",
							   "Empty means the worker applies no folder. Whoever can write the folder runs SQL as this role.",
							   &bgw_role,
							   "",
							   PGC_SIGHUP,
							   GUC_SUPERUSER_ONLY,
							   NULL, NULL, NULL);
	DefineCustomIntVariable("pg_migrate.interval",
							"Sets how often the background worker looks for new migrations.",
							"0 means only at start, on reload and on migrate_wakeup().",
							&bgw_interval_s,
							60,
							0,
							INT_MAX / 1000,
							PGC_SIGHUP,
							GUC_UNIT_S,
							NULL, NULL, NULL);
	DefineCustomIntVariable("pg_migrate.lock_timeout",
							"Sets lock_timeout for migrations run by background workers.",
							"0 turns the timeout off.",
							&bgw_lock_timeout_ms,
							0,
							0,
							INT_MAX,
							PGC_SIGHUP,
							GUC_UNIT_MS,
							NULL, NULL, NULL);
	DefineCustomIntVariable("pg_migrate.lock_retries",
							"Sets how often a background worker retries a migration after a lock timeout.",
							NULL,
							&bgw_lock_retries,
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
							   &bgw_database,
							   "postgres",
							   PGC_POSTMASTER,
							   0,
							   NULL, NULL, NULL);
	preloaded = true;
	prev_shmem_request_hook = shmem_request_hook;
	shmem_request_hook = shmem_request;
	prev_shmem_startup_hook = shmem_startup_hook;
	shmem_startup_hook = shmem_startup;
}

void
pgm_bgw_prepare(BackgroundWorker *worker, const char *function, const char *type)
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

/* Without preloading the setting is not defined: its default, "postgres". */
const char *
pgm_bgw_database(void)
{
	return (bgw_database != NULL && bgw_database[0] != '\0') ? bgw_database : "postgres";
}

const char *
pgm_bgw_directory(void)
{
	return bgw_directory != NULL ? bgw_directory : "";
}

const char *
pgm_bgw_role(void)
{
	return bgw_role != NULL ? bgw_role : "";
}

int
pgm_bgw_interval_s(void)
{
	return bgw_interval_s;
}

void
pgm_bgw_run_options(PgmRunOptions *opts, const char *dir)
{
	memset(opts, 0, sizeof(PgmRunOptions));
	opts->dir = dir;
	opts->lock_timeout_ms = bgw_lock_timeout_ms;
	opts->lock_retries = bgw_lock_retries;
}

bool
pgm_bgw_preloaded(void)
{
	return preloaded && shared != NULL;
}

bool
pgm_bgw_wakeup_scheduler(void)
{
	Latch	   *latch;

	if (!pgm_bgw_preloaded())
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

static void
detach_scheduler(int code, Datum arg)
{
	SpinLockAcquire(&shared->mutex);
	if (shared->scheduler_pid == MyProcPid)
	{
		shared->scheduler_pid = 0;
		shared->scheduler_latch = NULL;
	}
	SpinLockRelease(&shared->mutex);
}

uint64
pgm_bgw_attach_scheduler(void)
{
	uint64		n;

	SpinLockAcquire(&shared->mutex);
	shared->scheduler_pid = MyProcPid;
	shared->scheduler_latch = MyLatch;
	shared->attaches++;
	n = shared->wakeups;
	SpinLockRelease(&shared->mutex);
	on_shmem_exit(detach_scheduler, (Datum) 0);
	return n;
}

/* A counter of the shared state, read under its spinlock. */
static uint64
read_counter(const uint64 *counter)
{
	uint64		n;

	SpinLockAcquire(&shared->mutex);
	n = *counter;
	SpinLockRelease(&shared->mutex);
	return n;
}

uint64
pgm_bgw_attach_count(void)
{
	return read_counter(&shared->attaches);
}

uint64
pgm_bgw_wakeup_count(void)
{
	return read_counter(&shared->wakeups);
}

void
pgm_wait(long ms, uint32 wait_event)
{
	(void) WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH,
					 ms, wait_event);
	ResetLatch(MyLatch);
	CHECK_FOR_INTERRUPTS();
}

void
pgm_reload_config_if_asked(bool *reloaded)
{
	if (ConfigReloadPending)
	{
		ConfigReloadPending = false;
		ProcessConfigFile(PGC_SIGHUP);
		if (reloaded)
			*reloaded = true;
	}
}

bool
pgm_interval_usecs(const Interval *interval, int64 *usecs)
{
	int64		days;
	int64		result;

	if (pg_mul_s64_overflow((int64) interval->month, DAYS_PER_MONTH, &days) ||
		pg_add_s64_overflow(days, (int64) interval->day, &days) ||
		pg_mul_s64_overflow(days, USECS_PER_DAY, &result) ||
		pg_add_s64_overflow(result, interval->time, &result))
		return false;
	*usecs = result;
	return true;
}

bool
pgm_should_warn(PgmRateLimit *rl, const char *key)
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

int
pgm_bookkeeping_begin(void)
{
	pgm_spi_check(SPI_connect(), SPI_OK_CONNECT, "SPI_connect");
	return pgm_safe_sql_begin();
}

void
pgm_bookkeeping_end(int nestlevel)
{
	pgm_safe_sql_end(nestlevel);
	pgm_spi_check(SPI_finish(), SPI_OK_FINISH, "SPI_finish");
}

void
pgm_bgw_owner_execute(const char *table, const char *sql, int nargs, Oid *types,
					  Datum *values, const char *nulls, int expected, const char *what)
{
	PgmAsOwner	owner;

	pgm_as_bookkeeping_owner_begin(table, &owner);
	pgm_spi_check(SPI_execute_with_args(sql, nargs, types, values, nulls, false, 0),
				  expected, what);
	pgm_as_owner_end(&owner);
}

PgmExtensionState
pgm_bgw_extension_state(char **version)
{
	PgmExtensionState state = PGM_EXTENSION_MISSING;
	int			nestlevel = pgm_safe_sql_begin();

	pgm_spi_check(SPI_execute("SELECT extversion FROM pg_catalog.pg_extension "
							  "WHERE extname OPERATOR(pg_catalog.=) 'pg_migrate'",
							  true, 0),
				  SPI_OK_SELECT, "reading the version of extension \"pg_migrate\"");
	if (SPI_processed == 1)
	{
		char	   *v = SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1);

		/* 1.0 has no schedules.submitted_as_superuser, no job_states view */
		state = (v != NULL && strcmp(v, "1.0") == 0) ? PGM_EXTENSION_OLD : PGM_EXTENSION_READY;
		if (version != NULL)
			*version = v;
	}
	pgm_safe_sql_end(nestlevel);
	return state;
}

void
pgm_bgw_check_extension_updated(void)
{
	char	   *version = NULL;

	if (pgm_bgw_extension_state(&version) == PGM_EXTENSION_OLD)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("extension \"pg_migrate\" must be updated"),
				 errdetail("Its objects in this database are version %s; jobs and schedules need version 1.1.",
						   version),
				 errhint("Run ALTER EXTENSION pg_migrate UPDATE.")));
}

void
pgm_bgw_check_login(Oid roleid, const char *what)
{
	HeapTuple	tup = SearchSysCache1(AUTHOID, ObjectIdGetDatum(roleid));
	Form_pg_authid form;

	if (!HeapTupleIsValid(tup))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("role with OID %u does not exist", roleid)));
	form = (Form_pg_authid) GETSTRUCT(tup);
	if (!form->rolcanlogin)
	{
		char	   *name = pstrdup(NameStr(form->rolname));

		ReleaseSysCache(tup);
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_AUTHORIZATION_SPECIFICATION),
				 errmsg("role \"%s\" is not permitted to log in", name),
				 errdetail("The background worker that runs %s logs in as role \"%s\".", what, name),
				 errhint("Use a role with LOGIN (RESET ROLE first after SET ROLE), or ask an administrator to run ALTER ROLE %s LOGIN.",
						 quote_identifier(name))));
	}
	ReleaseSysCache(tup);
}

void
pgm_bgw_release_session_locks(void)
{
	MemoryContext oldcontext = CurrentMemoryContext;

	StartTransactionCommand();
	pgm_unlock_session();
	LockReleaseSession(USER_LOCKMETHOD);
	CommitTransactionCommand();
	MemoryContextSwitchTo(oldcontext);
}
