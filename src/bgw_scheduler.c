/*-------------------------------------------------------------------------
 *
 * bgw_scheduler.c
 *	  The scheduler of pg_migrate.database, pgmigrate.schedules, and
 *	  migrate_wakeup, migrate_schedule and migrate_unschedule.
 *
 * One scheduler runs in pg_migrate.database, started by the launcher
 * (bgw_launcher.c).  It applies pg_migrate.directory at start, on reload, on
 * a wake-up and every pg_migrate.interval, but only when the folder's
 * fingerprint (names, sizes, modification times) changed; and it lists the
 * folder to compute that fingerprint only when the kernel reported a change
 * in it since the last look, or a minute passed (folder_watch.c): an idle
 * scheduler makes one read call per interval.  A failed run is retried when
 * the folder changes or on a wake-up; a run canceled with pg_cancel_backend
 * is recorded as a failed attempt and retried at the next look.  Each pass
 * also turns due schedules into jobs (bgw_job.c) and moves repeating
 * schedules on; missed runs are not made up.  It sleeps until the next
 * interval or schedule, at most a minute.
 *
 * Who runs what.  The folder is applied as the role pg_migrate.role names:
 * the launcher connects the scheduler as that role, and with the setting
 * empty (the default), or naming a role that does not exist or may not log
 * in, the scheduler connects as the bootstrap superuser, applies no folder
 * and says why, at most every five minutes.  Whoever can write the folder
 * runs SQL as that role.  A schedule runs as the role that called
 * migrate_schedule (recorded by the function, never by the caller), and
 * before each run the scheduler checks again, as that role, that it may:
 * it exists, may log in, is a superuser only if it was one when it
 * scheduled, may read migration folders and may read this folder
 * (policy.h).  A run that may not start is recorded as a failed job with
 * the reason.
 *
 * Bookkeeping.  pgmigrate.schedules is written only here, as its owner
 * (pgm_as_bookkeeping_owner_begin); every statement is schema-qualified, with
 * qualified operators, and runs with search_path pinned to pg_catalog,
 * pg_temp.  Rows read back are validated: a schedule with an infinite time,
 * an interval under PGM_SCHEDULE_MIN_EVERY_S, or recorded before 1.1 (when
 * any member of pg_read_server_files could write the table) is removed,
 * with a failed job saying why.  One schedule never holds up the others:
 * each is checked and started on its own (a subtransaction), a failure
 * becomes that schedule's failed job, and at most SCHEDULES_PER_PASS jobs
 * start per pass, the rest a second later.  A repeating schedule whose
 * previous job still runs skips its turn.
 *
 * migrate_schedule wakes the scheduler when its transaction commits
 * (an XactCallback, like core's ApplyLauncherWakeupAtCommit), so the
 * scheduler never looks before the new row is visible; migrate_wakeup
 * wakes it at once.
 *
 * Errors of a pass are logged and the pass rolled back; the scheduler
 * stays up and tries again ten seconds later.  An error that escapes the
 * folder's run gives back the session-level locks first, so golang-migrate's
 * lock is never kept until a restart.  Memory: a loop context, reset every
 * pass.
 *
 * IDENTIFICATION
 *	  src/bgw_scheduler.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xact.h"
#include "apply_worker.h"
#include "bgw_common.h"
#include "bgw_job.h"
#include "bgw_scheduler.h"
#include "catalog/pg_authid.h"
#include "catalog/pg_type.h"
#include "commands/dbcommands.h"
#include "commands/extension.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "folder.h"
#include "folder_watch.h"
#include "funcs.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "policy.h"
#include "postmaster/bgworker.h"
#include "postmaster/interrupt.h"
#include "safe_sql.h"
#include "tcop/tcopprot.h"
#include "unit.h"
#include "utils/acl.h"
#include "utils/backend_status.h"
#include "utils/builtins.h"
#include "utils/datum.h"
#include "utils/memutils.h"
#include "utils/timestamp.h"
#include "utils/wait_event.h"

PG_FUNCTION_INFO_V1(migrate_wakeup);
PG_FUNCTION_INFO_V1(migrate_schedule);
PG_FUNCTION_INFO_V1(migrate_unschedule);

#define MAX_SLEEP_MS		(60 * 1000L)	/* between passes, at most */
#define SCHEDULES_PER_PASS	8	/* jobs started per pass, at most */
#define BUSY_PASS_MS		1000L	/* next pass, while more are due */

/* The smallest interval of a repeating schedule (README). */
#define PGM_SCHEDULE_MIN_EVERY_S 1

/* What the scheduler remembers from one pass to the next. */
typedef struct SchedulerState
{
	uint64		seen_wakeups;	/* wake-up count already acted on */
	bool		have_sig;		/* last_sig is the folder as last applied */
	uint64		last_sig;
	PgmFolderWatch watch;		/* the kernel's word on the folder */
	TimestampTz schedules_next; /* the next schedule as last read; 0: none */
	TimestampTz schedules_read; /* read pgmigrate.schedules again from then */
	TimestampTz next_check;		/* next look at the folder (interval) */
	PgmRateLimit warned;		/* the folder, its role, the extension */
	PgmRateLimit warned_slots;	/* schedules waiting for a worker slot */
} SchedulerState;

/* A due schedule, as read from pgmigrate.schedules. */
typedef struct DueSchedule
{
	int64		id;
	char	   *dir;
	char	   *role;
	TimestampTz run_at;
	Interval   *every;			/* NULL: runs once */
	bool		trusted;		/* recorded by 1.1 or later */
	bool		submitter_super;	/* its role was a superuser then */
	int64		last_job_id;	/* 0: none */
} DueSchedule;

/* migrate_schedule() in this transaction: wake the scheduler at commit */
static bool wakeup_at_commit = false;
static bool xact_callback_registered = false;

/* ---------- what a schedule may be ---------- */

/*
 * The times of a schedule: run_at finite, and every (NULL for a single
 * run) at least PGM_SCHEDULE_MIN_EVERY_S, so that no schedule starts jobs
 * in a tight loop.  Raises 22023 or 22008.
 */
static void
check_schedule_times(TimestampTz run_at, Interval *every)
{
	int64		usecs;

	if (TIMESTAMP_NOT_FINITE(run_at))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("run_at must be a finite time"),
				 errdetail("run_at was %s.", timestamptz_to_str(run_at)),
				 errhint("Give the time of the first run.")));
	if (every == NULL)
		return;
	if (!pgm_interval_usecs(every, &usecs))
		ereport(ERROR,
				(errcode(ERRCODE_DATETIME_VALUE_OUT_OF_RANGE),
				 errmsg("schedule interval is out of range"),
				 errdetail("The interval given was %s.",
						   DatumGetCString(DirectFunctionCall1(interval_out,
															   IntervalPGetDatum(every)))),
				 errhint("Give a shorter interval, or NULL for a single run.")));
	if (usecs < PGM_SCHEDULE_MIN_EVERY_S * USECS_PER_SEC)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("schedule interval must be at least 1 second"),
				 errdetail("The interval given was %s.",
						   DatumGetCString(DirectFunctionCall1(interval_out,
															   IntervalPGetDatum(every)))),
				 errhint("Give an interval of 1 second or more, or NULL for a single run.")));
}

/*
 * A schedule read back, checked before it may run at all; an error means
 * the row is removed.  For pgm_try_subxact.
 */
static void
check_schedule_row(void *arg)
{
	DueSchedule *s = (DueSchedule *) arg;

	check_schedule_times(s->run_at, s->every);
	if (!s->trusted)
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("schedule " INT64_FORMAT " was recorded before pg_migrate 1.1", s->id),
				 errdetail("Members of pg_read_server_files could write pgmigrate.schedules then, including the role a schedule runs as; it is not run and was removed."),
				 errhint("Call migrate_schedule again to run folder \"%s\" as role \"%s\".",
						 s->dir, s->role)));
}

/*
 * May the schedule's role run it now?  It exists, may log in (its job's
 * worker logs in as it), is a superuser only if it was one when it
 * scheduled, and, checked as that role, may read migration folders and this
 * folder.  For pgm_try_subxact, whose rollback restores the user id.
 */
static void
check_schedule_runner(void *arg)
{
	DueSchedule *s = (DueSchedule *) arg;
	Oid			roleid = get_role_oid(s->role, true);
	Oid			save_userid;
	int			save_sec_context;

	if (!OidIsValid(roleid))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("role \"%s\" does not exist", s->role),
				 errdetail("Schedule " INT64_FORMAT " runs as the role that created it.", s->id)));
	pgm_bgw_check_login(roleid, "a scheduled run");
	if (superuser_arg(roleid) && !s->submitter_super)
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("role \"%s\" was not a superuser when it created schedule " INT64_FORMAT,
						s->role, s->id),
				 errdetail("A schedule runs as a superuser only if its role was one when it called migrate_schedule."),
				 errhint("Call migrate_schedule again as role \"%s\", and remove this schedule with migrate_unschedule(" INT64_FORMAT ").",
						 s->role, s->id)));

	GetUserIdAndSecContext(&save_userid, &save_sec_context);
	SetUserIdAndSecContext(roleid, save_sec_context | SECURITY_LOCAL_USERID_CHANGE);
	pgm_check_access();
	(void) pgm_check_folder(s->dir);
	SetUserIdAndSecContext(save_userid, save_sec_context);
}

/* ---------- the folder ---------- */

/*
 * Creates the extension in pg_migrate.database, in schema public, when a
 * folder is to be applied.  As the bootstrap superuser (the extension needs
 * one) when the scheduler's role is not a superuser, with search_path
 * pinned, so that the database's search_path does not choose the schema.
 */
static void
ensure_extension(void)
{
	pgm_unit_begin();
	if (!OidIsValid(get_extension_oid("pg_migrate", true)))
	{
		Oid			save_userid;
		int			save_sec_context;
		int			nestlevel;

		GetUserIdAndSecContext(&save_userid, &save_sec_context);
		if (!superuser())
			SetUserIdAndSecContext(BOOTSTRAP_SUPERUSERID,
								   save_sec_context | SECURITY_LOCAL_USERID_CHANGE);
		nestlevel = pgm_safe_sql_begin();
		pgm_spi_check(SPI_execute("CREATE EXTENSION IF NOT EXISTS pg_migrate SCHEMA public", false, 0),
					  SPI_OK_UTILITY, "creating extension \"pg_migrate\"");
		pgm_safe_sql_end(nestlevel);
		SetUserIdAndSecContext(save_userid, save_sec_context);
		ereport(LOG,
				(errmsg("created extension \"pg_migrate\" in database \"%s\"",
						pgm_bgw_database())));
	}
	pgm_unit_end();
}

/* The rate-limited warning of a folder that is not applied; key says which. */
static void
warn_folder_not_applied(SchedulerState *st, const char *key, ErrorData *edata)
{
	if (!pgm_should_warn(&st->warned, key))
		return;
	edata->elevel = WARNING;
	edata->output_to_client = false;
	edata->detail = psprintf("%s%s%s", edata->detail ? edata->detail : "",
							 edata->detail ? " " : "",
							 _("The background worker applies no migration folder until this is fixed; this warning repeats every five minutes."));
	ThrowErrorData(edata);
}

/*
 * May this process apply the folder now?  pg_migrate.role is set, names a
 * role that exists and may log in, this scheduler is connected as it (the
 * launcher restarts it when not), and that role may read migration
 * folders.  For pgm_try_subxact: folder_may_run turns the error into a
 * warning, at most every five minutes.
 */
static void
check_folder_role(void *arg)
{
	const char *role = pgm_bgw_role();
	Oid			roleid;

	if (role[0] == '\0')
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("pg_migrate.role is not set"),
				 errdetail("pg_migrate.directory is \"%s\", and migrations run as the role pg_migrate.role names.",
						   pgm_bgw_directory()),
				 errhint("Set pg_migrate.role to the role migrations of this folder run as, then reload; whoever can write the folder runs SQL as that role.")));
	roleid = get_role_oid(role, true);
	if (!OidIsValid(roleid))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("role \"%s\" does not exist", role),
				 errdetail("pg_migrate.role names the role the background worker applies migrations as."),
				 errhint("Create the role, or set pg_migrate.role to another role and reload.")));
	pgm_bgw_check_login(roleid, "the migrations of pg_migrate.directory");
	if (pg_database_aclcheck(MyDatabaseId, roleid, ACL_CONNECT) != ACLCHECK_OK)
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("permission denied for database \"%s\"", pgm_bgw_database()),
				 errdetail("pg_migrate.role names role \"%s\", which lacks CONNECT on it.", role),
				 errhint("Run GRANT CONNECT ON DATABASE %s TO %s, or set pg_migrate.role to another role and reload.",
						 quote_identifier(pgm_bgw_database()), quote_identifier(role))));
	if (GetSessionUserId() != roleid)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("the pg_migrate scheduler is not connected as role \"%s\" yet", role),
				 errdetail("The launcher starts it again as the role pg_migrate.role names.")));
	pgm_check_access();
}

static bool
folder_may_run(SchedulerState *st)
{
	ErrorData  *edata;

	pgm_unit_begin();
	edata = pgm_try_subxact(check_folder_role, NULL);
	if (edata != NULL)
		warn_folder_not_applied(st, edata->message, edata);
	pgm_unit_end();
	return edata == NULL;
}

/* Is the installed extension too old for this library?  Warns if so. */
static bool
extension_outdated(SchedulerState *st)
{
	char	   *version = NULL;
	bool		old;

	pgm_unit_begin();
	old = pgm_bgw_extension_state(&version) == PGM_EXTENSION_OLD;
	if (old && pgm_should_warn(&st->warned, "extension version"))
		ereport(WARNING,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("extension \"pg_migrate\" in database \"%s\" must be updated",
						pgm_bgw_database()),
				 errdetail("Its objects are version %s; the background worker needs version 1.1 and applies nothing until then. This warning repeats every five minutes.",
						   version),
				 errhint("Run ALTER EXTENSION pg_migrate UPDATE in database \"%s\".",
						 pgm_bgw_database())));
	pgm_unit_end();
	return old;
}

/* Applies pg_migrate.directory if it changed since the last run (or force). */
static void
watch_folder(SchedulerState *st, bool force, MemoryContext cxt)
{
	const char *dir = pgm_bgw_directory();
	PgmRunOptions opts;
	PgmRunResult *result;
	uint64		sig;

	if (!folder_may_run(st))
		return;

	/*
	 * The kernel saw nothing happen in the folder since the previous look,
	 * which found it as last applied (folder_watch.c says what this
	 * guarantees): no need to list it.
	 */
	if (pgm_folder_watch_quiet(&st->watch, dir) && !force && st->have_sig)
		return;

	if (!pgm_folder_signature(dir, &sig))
	{
		int			save_errno = errno;

		if (pgm_should_warn(&st->warned, "folder"))
		{
			errno = save_errno;
			ereport(WARNING,
					(errcode_for_file_access(),
					 errmsg("could not read migration folder \"%s\": %m", dir),
					 errdetail("pg_migrate.directory names the folder the background worker applies. This warning repeats every five minutes."),
					 errhint("Create the folder or fix pg_migrate.directory, then reload.")));
		}
		st->have_sig = false;
		return;
	}
	if (!force && st->have_sig && sig == st->last_sig)
		return;

	ensure_extension();
	if (extension_outdated(st))
		return;
	pgm_bgw_run_options(&opts, dir);
	opts.applied_by = "pg_migrate worker";
	opts.record_cancel = true;	/* no job row shows a cancel: history does */

	/*
	 * An error that escapes the run (its own bookkeeping failing) must not
	 * keep golang-migrate's lock, which is session-scoped, until a restart:
	 * the locks go, the error is logged, and the run counts as failed.
	 */
	result = palloc0(sizeof(PgmRunResult));
	PG_TRY();
	{
		pgm_run_folder(&opts, result);
	}
	PG_CATCH();
	{
		ErrorData  *edata = pgm_unit_catch(cxt);

		pgm_bgw_release_session_locks();
		edata->elevel = LOG;
		edata->output_to_client = false;
		ThrowErrorData(edata);
		result->canceled = false;
		result->failed = true;
	}
	PG_END_TRY();

	/*
	 * A failed run is retried when the folder changes, or on wake-up; a
	 * canceled one at the next look.
	 */
	st->have_sig = !result->canceled;
	st->last_sig = sig;
}

/* ---------- schedules ---------- */

/* Reads up to limit due schedules, locked for this pass, as the owner. */
static List *
read_due_schedules(int limit)
{
	Oid			types[1] = {INT4OID};
	Datum		values[1];
	List	   *due = NIL;
	uint64		i;

	values[0] = Int32GetDatum(limit);
	pgm_bgw_owner_execute("schedules",
						  "SELECT schedule_id, dir, role, run_at, every, "
						  "submitted_as_superuser IS NOT NULL, "
						  "COALESCE(submitted_as_superuser, false), COALESCE(last_job_id, 0) "
						  "FROM pgmigrate.schedules "
						  "WHERE run_at OPERATOR(pg_catalog.<=) pg_catalog.clock_timestamp() "
						  "ORDER BY run_at, schedule_id LIMIT $1 FOR UPDATE SKIP LOCKED",
						  1, types, values, NULL, SPI_OK_SELECT, "reading due schedules");
	for (i = 0; i < SPI_processed; i++)
	{
		HeapTuple	tup = SPI_tuptable->vals[i];
		TupleDesc	desc = SPI_tuptable->tupdesc;
		DueSchedule *s = palloc0(sizeof(DueSchedule));
		bool		isnull;
		Datum		every;

		s->id = DatumGetInt64(SPI_getbinval(tup, desc, 1, &isnull));
		s->dir = SPI_getvalue(tup, desc, 2);
		s->role = SPI_getvalue(tup, desc, 3);
		s->run_at = DatumGetTimestampTz(SPI_getbinval(tup, desc, 4, &isnull));
		every = SPI_getbinval(tup, desc, 5, &isnull);
		s->every = isnull ? NULL : DatumGetIntervalP(datumCopy(every, false, sizeof(Interval)));
		s->trusted = DatumGetBool(SPI_getbinval(tup, desc, 6, &isnull));
		s->submitter_super = DatumGetBool(SPI_getbinval(tup, desc, 7, &isnull));
		s->last_job_id = DatumGetInt64(SPI_getbinval(tup, desc, 8, &isnull));
		due = lappend(due, s);
	}
	return due;
}

/* Removes schedule id, as the owner. */
static void
remove_schedule(int64 id)
{
	Oid			types[1] = {INT8OID};
	Datum		values[1];

	values[0] = Int64GetDatum(id);
	pgm_bgw_owner_execute("schedules",
						  "DELETE FROM pgmigrate.schedules WHERE schedule_id OPERATOR(pg_catalog.=) $1",
						  1, types, values, NULL, SPI_OK_DELETE, "removing the schedule");
}

/*
 * A schedule had its turn (job_id started, or 0): a one-off schedule is
 * removed, a repeating one moves to its first time in the future.
 */
static void
advance_schedule(DueSchedule *s, int64 job_id)
{
	Oid			types[2] = {INT8OID, INT8OID};
	Datum		values[2];
	char		nulls[2] = {' ', ' '};

	if (s->every == NULL)
	{
		remove_schedule(s->id);
		return;
	}
	values[0] = Int64GetDatum(s->id);
	values[1] = Int64GetDatum(job_id);
	nulls[1] = job_id != 0 ? ' ' : 'n';
	pgm_bgw_owner_execute("schedules",
						  "UPDATE pgmigrate.schedules "
						  "SET last_job_id = COALESCE($2, last_job_id), "
						  "run_at = run_at OPERATOR(pg_catalog.+) (every OPERATOR(pg_catalog.*) "
						  "(pg_catalog.floor(pg_catalog.date_part('epoch', "
						  "pg_catalog.clock_timestamp() OPERATOR(pg_catalog.-) run_at) "
						  "OPERATOR(pg_catalog./) pg_catalog.date_part('epoch', every)) "
						  "OPERATOR(pg_catalog.+) 1::pg_catalog.float8)) "
						  "WHERE schedule_id OPERATOR(pg_catalog.=) $1",
						  2, types, values, nulls, SPI_OK_UPDATE, "advancing the schedule");
}

/* Records that schedule s did not start a job: a failed job, and the log. */
static int64
record_not_started(DueSchedule *s, ErrorData *edata)
{
	char	   *line = pgm_error_line(edata);
	int64		job_id = pgm_job_record_failed(s->dir, s->role, s->id, line);

	ereport(LOG,
			(errcode(edata->sqlerrcode),
			 errmsg("scheduled run of schedule " INT64_FORMAT " failed before it started, as job " INT64_FORMAT,
					s->id, job_id),
			 errdetail_internal("%s", line)));
	return job_id;
}

typedef struct SubmitArgs
{
	DueSchedule *s;
	int64		job_id;
	int			pid;
	bool		no_slot;
} SubmitArgs;

/* Starts the job of a schedule.  For pgm_try_subxact. */
static void
submit_schedule_job(void *arg)
{
	SubmitArgs *a = (SubmitArgs *) arg;

	a->job_id = pgm_job_submit(a->s->dir, get_role_oid(a->s->role, false), a->s->id,
							   &a->pid, &a->no_slot);
}

/*
 * One due schedule's turn.  Returns false when no worker slot was free: the
 * schedule stays due, and the pass starts no more jobs.
 */
static bool
run_schedule(SchedulerState *st, DueSchedule *s)
{
	ErrorData  *edata;
	SubmitArgs	args;

	/* a row that cannot be run at all: removed, with a job saying why */
	edata = pgm_try_subxact(check_schedule_row, s);
	if (edata != NULL)
	{
		(void) record_not_started(s, edata);
		remove_schedule(s->id);
		return true;
	}

	/* a repeating schedule whose last run still goes on skips its turn */
	if (s->last_job_id != 0 && pgm_job_live(s->last_job_id))
	{
		ereport(LOG,
				(errmsg("schedule " INT64_FORMAT " skipped a run: its job " INT64_FORMAT " is still running",
						s->id, s->last_job_id)));
		advance_schedule(s, 0);
		return true;
	}

	/* the role may no longer run it: a failed job, the schedule moves on */
	edata = pgm_try_subxact(check_schedule_runner, s);
	if (edata != NULL)
	{
		advance_schedule(s, record_not_started(s, edata));
		return true;
	}

	memset(&args, 0, sizeof(args));
	args.s = s;
	edata = pgm_try_subxact(submit_schedule_job, &args);
	if (edata == NULL && args.no_slot)
	{
		if (pgm_should_warn(&st->warned_slots, "no slot"))
			ereport(WARNING,
					(errcode(ERRCODE_CONFIGURATION_LIMIT_EXCEEDED),
					 errmsg("out of background worker slots"),
					 errdetail("Schedule " INT64_FORMAT " is due, and its job waits for a free slot. This warning repeats every five minutes.",
							   s->id),
					 errhint("You might need to increase \"%s\".", "max_worker_processes")));
		return false;
	}
	if (edata != NULL)
	{
		advance_schedule(s, record_not_started(s, edata));
		return true;
	}
	ereport(LOG,
			(errmsg("schedule " INT64_FORMAT " started job " INT64_FORMAT " (worker %d)",
					s->id, args.job_id, args.pid)));
	advance_schedule(s, args.job_id);
	return true;
}

/* When the next schedule is due, or 0 if there is none. */
static TimestampTz
next_schedule_time(void)
{
	bool		isnull;
	Datum		d;

	pgm_bgw_owner_execute("schedules", "SELECT pg_catalog.min(run_at) FROM pgmigrate.schedules",
						  0, NULL, NULL, NULL, SPI_OK_SELECT, "reading the next schedule");
	d = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull);
	return isnull ? 0 : DatumGetTimestampTz(d);
}

/*
 * Gives due schedules their turn, at most SCHEDULES_PER_PASS, all in one
 * transaction: the jobs' workers start reading once it commits.  Returns
 * the time of the next schedule (now when more are due), or 0.
 */
static TimestampTz
run_due_schedules(SchedulerState *st)
{
	TimestampTz next;
	List	   *due;
	ListCell   *lc;
	bool		more;

	pgm_unit_begin();
	if (pgm_bgw_extension_state(NULL) != PGM_EXTENSION_READY)
	{
		pgm_unit_end();
		return 0;
	}
	due = read_due_schedules(SCHEDULES_PER_PASS + 1);
	more = list_length(due) > SCHEDULES_PER_PASS;
	foreach(lc, due)
	{
		if (foreach_current_index(lc) >= SCHEDULES_PER_PASS)
			break;
		if (!run_schedule(st, (DueSchedule *) lfirst(lc)))
		{
			more = true;
			break;
		}
	}
	next = more ? GetCurrentTimestamp() : next_schedule_time();
	pgm_unit_end();
	return next;
}

/* Milliseconds from now until t, rounded up; 1 if t has passed. */
static long
ms_until(TimestampTz now, TimestampTz t)
{
	long		secs;
	int			usecs;

	TimestampDifference(now, t, &secs, &usecs);
	return secs * 1000L + usecs / 1000 + 1;
}

/* One pass of the scheduler's loop; returns how long to sleep. */
static long
scheduler_pass(SchedulerState *st, bool force, MemoryContext cxt)
{
	const char *dir = pgm_bgw_directory();
	int			interval_s = pgm_bgw_interval_s();
	TimestampTz now = GetCurrentTimestamp();
	TimestampTz next_schedule;
	long		timeout_ms = MAX_SLEEP_MS;

	if (dir[0] != '\0' && (force || (interval_s > 0 && now >= st->next_check)))
	{
		watch_folder(st, force, cxt);
		st->next_check = TimestampTzPlusMilliseconds(GetCurrentTimestamp(),
													 (int64) interval_s * 1000);
	}

	/*
	 * pgmigrate.schedules is read when a schedule is due, on a wake-up
	 * (migrate_schedule wakes the scheduler when it commits) and at least
	 * every MAX_SLEEP_MS; an idle pass touches no table.
	 */
	if (force || now >= st->schedules_read ||
		(st->schedules_next != 0 && now >= st->schedules_next))
	{
		st->schedules_next = run_due_schedules(st);
		st->schedules_read = TimestampTzPlusMilliseconds(GetCurrentTimestamp(), MAX_SLEEP_MS);
	}
	next_schedule = st->schedules_next;

	now = GetCurrentTimestamp();
	if (dir[0] != '\0' && interval_s > 0)
		timeout_ms = Min(timeout_ms, ms_until(now, st->next_check));
	if (next_schedule != 0)
		timeout_ms = Min(timeout_ms, next_schedule <= now ? BUSY_PASS_MS :
						 ms_until(now, next_schedule));
	return Max(timeout_ms, 1);
}

/*
 * A pass whose errors are logged and rolled back, giving back session
 * locks; the scheduler then sleeps PGM_BGW_RESTART_DELAY_MS.  Leaves
 * loop_cxt current.
 */
static long
scheduler_pass_logged(SchedulerState *st, bool force, MemoryContext loop_cxt)
{
	volatile long timeout_ms = PGM_BGW_RESTART_DELAY_MS;

	PG_TRY();
	{
		timeout_ms = scheduler_pass(st, force, loop_cxt);
	}
	PG_CATCH();
	{
		MemoryContextSwitchTo(loop_cxt);
		EmitErrorReport();
		(void) pgm_unit_catch(loop_cxt);
		pgm_bgw_release_session_locks();
	}
	PG_END_TRY();
	return timeout_ms;
}

/*
 * Sleeps until deadline, a wake-up or a reload, whichever comes first; true
 * when the next pass must look at the folder (wake-up, reload).  The latch
 * is also set when a job worker this process started begins or exits, and
 * that is no reason for a pass: waiting on keeps a failing pass from
 * starting workers in a loop.
 */
static bool
sleep_until(SchedulerState *st, TimestampTz deadline)
{
	for (;;)
	{
		bool		reloaded = false;
		uint64		wakeups;
		TimestampTz now = GetCurrentTimestamp();

		if (now >= deadline)
			return false;
		pgm_wait(ms_until(now, deadline), PG_WAIT_EXTENSION);
		pgm_reload_config_if_asked(&reloaded);
		wakeups = pgm_bgw_wakeup_count();
		if (wakeups != st->seen_wakeups)
		{
			st->seen_wakeups = wakeups;
			return true;
		}
		if (reloaded)
			return true;
	}
}

void
pgm_scheduler_main(Datum main_arg)
{
	MemoryContext loop_cxt;
	SchedulerState st;
	Oid			roleid;
	bool		force = true;

	memset(&st, 0, sizeof(st));
	pgm_folder_watch_init(&st.watch);
	memcpy(&roleid, MyBgworkerEntry->bgw_extra, sizeof(Oid));
	pqsignal(SIGHUP, SignalHandlerForConfigReload);
	pqsignal(SIGTERM, die);
	BackgroundWorkerUnblockSignals();
	BackgroundWorkerInitializeConnectionByOid(DatumGetObjectId(main_arg), roleid, 0);
	pgstat_report_appname("pg_migrate scheduler");

	st.seen_wakeups = pgm_bgw_attach_scheduler();
	loop_cxt = AllocSetContextCreate(TopMemoryContext, "pg_migrate scheduler loop",
									 ALLOCSET_DEFAULT_SIZES);
	pgm_job_fail_orphaned();

	for (;;)
	{
		long		timeout_ms;

		CHECK_FOR_INTERRUPTS();
		MemoryContextSwitchTo(loop_cxt);
		MemoryContextReset(loop_cxt);
		timeout_ms = scheduler_pass_logged(&st, force, loop_cxt);
		pgstat_report_activity(STATE_IDLE, NULL);

		force = sleep_until(&st, TimestampTzPlusMilliseconds(GetCurrentTimestamp(),
															   timeout_ms));
	}
}

/* ---------- SQL-callable functions ---------- */

/* migrate_wakeup() RETURNS boolean: make the scheduler look now. */
Datum
migrate_wakeup(PG_FUNCTION_ARGS)
{
	pgm_check_access();
	if (!pgm_bgw_preloaded())
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("the pg_migrate background worker is not running"),
				 errdetail("pg_migrate is not in shared_preload_libraries."),
				 errhint("Add pg_migrate to shared_preload_libraries and restart the server, or use migrate_apply_async().")));
	PG_RETURN_BOOL(pgm_bgw_wakeup_scheduler());
}

/*
 * Wakes the scheduler once the transaction that scheduled something has
 * committed, when the new row is visible to it; nothing on abort.  A
 * prepared transaction is not followed to its COMMIT PREPARED: the
 * scheduler finds the row within its longest sleep.
 */
static void
scheduler_xact_callback(XactEvent event, void *arg)
{
	switch (event)
	{
		case XACT_EVENT_COMMIT:
			if (wakeup_at_commit)
				(void) pgm_bgw_wakeup_scheduler();
			wakeup_at_commit = false;
			break;
		case XACT_EVENT_ABORT:
		case XACT_EVENT_PREPARE:
			wakeup_at_commit = false;
			break;
		default:
			break;
	}
}

static void
wakeup_scheduler_at_commit(void)
{
	if (!xact_callback_registered)
	{
		RegisterXactCallback(scheduler_xact_callback, NULL);
		xact_callback_registered = true;
	}
	wakeup_at_commit = true;
}

/*
 * migrate_schedule(dir text, run_at timestamptz, every interval) RETURNS bigint
 *
 * The schedule runs as the calling role, recorded here (with whether it is
 * a superuser now), never taken from the caller; the row is written as the
 * table's owner.
 */
Datum
migrate_schedule(PG_FUNCTION_ARGS)
{
	char	   *dir;
	char	   *dbname;
	Oid			roleid = GetUserId();
	Oid			types[5] = {TEXTOID, TIMESTAMPTZOID, INTERVALOID, TEXTOID, BOOLOID};
	Datum		values[5];
	char		nulls[5] = {' ', ' ', ' ', ' ', ' '};
	bool		isnull;
	int64		id;
	int			nestlevel;

	pgm_check_access();
	dir = pgm_folder_argument(fcinfo, 0);
	if (PG_ARGISNULL(1))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("run_at must not be null"),
				 errdetail("A schedule starts at run_at and repeats every interval if one is given."),
				 errhint("Give the time of the first run.")));
	check_schedule_times(PG_GETARG_TIMESTAMPTZ(1),
						 PG_ARGISNULL(2) ? NULL : PG_GETARG_INTERVAL_P(2));
	pgm_check_primary();
	(void) pgm_check_folder(dir);

	dbname = get_database_name(MyDatabaseId);
	if (strcmp(dbname, pgm_bgw_database()) != 0)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("schedules run only in database \"%s\"", pgm_bgw_database()),
				 errdetail("pg_migrate.database names the database whose worker runs schedules; this is database \"%s\".",
						   dbname),
				 errhint("Connect to database \"%s\" to schedule migrations, or change pg_migrate.database.",
						 pgm_bgw_database())));
	pgm_bgw_check_login(roleid, "a scheduled run");

	nestlevel = pgm_bookkeeping_begin();
	pgm_bgw_check_extension_updated();
	values[0] = CStringGetTextDatum(dir);
	values[1] = PG_GETARG_DATUM(1);
	values[2] = PG_ARGISNULL(2) ? (Datum) 0 : PG_GETARG_DATUM(2);
	nulls[2] = PG_ARGISNULL(2) ? 'n' : ' ';
	values[3] = CStringGetTextDatum(GetUserNameFromId(roleid, false));
	values[4] = BoolGetDatum(superuser_arg(roleid));
	pgm_bgw_owner_execute("schedules",
						  "INSERT INTO pgmigrate.schedules (dir, run_at, every, role, submitted_as_superuser) "
						  "VALUES ($1, $2, $3, $4, $5) RETURNING schedule_id",
						  5, types, values, nulls, SPI_OK_INSERT_RETURNING, "recording the schedule");
	id = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
	pgm_bookkeeping_end(nestlevel);

	if (!pgm_bgw_preloaded())
		ereport(NOTICE,
				(errmsg("the schedule runs once pg_migrate is in shared_preload_libraries")));
	else
		wakeup_scheduler_at_commit();
	PG_RETURN_INT64(id);
}

/*
 * migrate_unschedule(id bigint) RETURNS boolean
 *
 * Removes one of the caller's own schedules (a superuser's: any); false
 * when there is none such.
 */
Datum
migrate_unschedule(PG_FUNCTION_ARGS)
{
	Oid			types[3] = {INT8OID, BOOLOID, TEXTOID};
	Datum		values[3];
	bool		found;
	int			nestlevel;

	pgm_check_access();
	if (PG_ARGISNULL(0))
		PG_RETURN_BOOL(false);
	pgm_check_primary();
	nestlevel = pgm_bookkeeping_begin();
	pgm_bgw_check_extension_updated();
	values[0] = PG_GETARG_DATUM(0);
	values[1] = BoolGetDatum(superuser());
	values[2] = CStringGetTextDatum(GetUserNameFromId(GetUserId(), false));
	pgm_bgw_owner_execute("schedules",
						  "DELETE FROM pgmigrate.schedules WHERE schedule_id OPERATOR(pg_catalog.=) $1 "
						  "AND ($2 OR role OPERATOR(pg_catalog.=) $3::pg_catalog.name)",
						  3, types, values, NULL, SPI_OK_DELETE, "removing the schedule");
	found = SPI_processed > 0;
	pgm_bookkeeping_end(nestlevel);
	PG_RETURN_BOOL(found);
}
