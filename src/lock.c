/*-------------------------------------------------------------------------
 *
 * lock.c
 *	  Serialise migration runs with the tracked tool's own advisory lock.
 *
 * The key is the tracker's (track.h): golang-migrate's for its
 * schema_migrations.  Taking the same lock means pg_migrate, golang-migrate
 * and Encore never migrate one database at the same time.  Functions take
 * it transaction-scoped, so it is released exactly when their changes
 * commit or roll back; the worker path, which commits each migration, holds
 * it session-scoped for a whole run, as golang-migrate does.
 *
 * IDENTIFICATION
 *	  src/lock.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xact.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "lock.h"
#include "track.h"
#include "miscadmin.h"
#include "storage/latch.h"
#include "safe_sql.h"
#include "storage/lock.h"
#include "storage/proc.h"
#include "utils/timestamp.h"
#include "utils/wait_event.h"

/* The tag pg_advisory_lock(bigint) and pg_advisory_xact_lock(bigint) use. */
static void
lock_tag(LOCKTAG *tag)
{
	int64		key = pgm_tracker()->lock_key();

	SET_LOCKTAG_ADVISORY(*tag, MyDatabaseId, (uint32) (key >> 32), (uint32) key, 1);
}

/*
 * A second tag, held by a worker while it runs statements outside a
 * transaction block.  CREATE INDEX CONCURRENTLY waits for every snapshot
 * older than its own; a session waiting for the migration lock inside its
 * transaction holds such a snapshot, so waiting there would be a deadlock
 * that aborts one side.  Such callers are refused at once instead.
 */
static void
busy_tag(LOCKTAG *tag)
{
	int64		key = pgm_tracker()->lock_key();

	SET_LOCKTAG_ADVISORY(*tag, MyDatabaseId, 0x70676d67, (uint32) key, 2);
}

void
pgm_lock_busy_begin(void)
{
	LOCKTAG		tag;

	busy_tag(&tag);
	(void) LockAcquire(&tag, ExclusiveLock, true, false);
}

void
pgm_lock_busy_end(void)
{
	LOCKTAG		tag;

	busy_tag(&tag);
	(void) LockRelease(&tag, ExclusiveLock, true);
}

static bool
worker_outside_transaction(void)
{
	LOCKTAG		tag;

	busy_tag(&tag);
	if (LockAcquire(&tag, ShareLock, false, true) == LOCKACQUIRE_NOT_AVAIL)
		return true;
	(void) LockRelease(&tag, ShareLock, false);
	return false;
}

bool
pgm_lock_busy_taken(void)
{
	return worker_outside_transaction();
}

/* Does this backend apply migrations right now (which path)? */
static bool session_run = false;
static bool xact_run = false;
static SubTransactionId xact_run_subid = InvalidSubTransactionId;
static bool xact_callback_registered = false;

static void
refuse_nested(void)
{
	if (session_run || xact_run)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("migrations cannot be applied from inside a migration"),
				 errdetail("This session is already applying migrations; a migration called a pg_migrate function that applies them again.")));
}

static void
run_xact_callback(XactEvent event, void *arg)
{
	if (event == XACT_EVENT_ABORT || event == XACT_EVENT_PARALLEL_ABORT ||
		event == XACT_EVENT_COMMIT || event == XACT_EVENT_PARALLEL_COMMIT ||
		event == XACT_EVENT_PREPARE)
		xact_run = false;
}

/*
 * A failed call caught by an exception block (PL/pgSQL's BEGIN ...
 * EXCEPTION) rolls back the subtransaction it ran in: it no longer runs.
 */
static void
run_subxact_callback(SubXactEvent event, SubTransactionId mySubid,
					 SubTransactionId parentSubid, void *arg)
{
	if (event == SUBXACT_EVENT_ABORT_SUB && xact_run && mySubid == xact_run_subid)
		xact_run = false;
}

void
pgm_run_enter(void)
{
	refuse_nested();
	if (!xact_callback_registered)
	{
		RegisterXactCallback(run_xact_callback, NULL);
		RegisterSubXactCallback(run_subxact_callback, NULL);
		xact_callback_registered = true;
	}
	xact_run = true;
	xact_run_subid = GetCurrentSubTransactionId();
}

void
pgm_run_leave(void)
{
	xact_run = false;
}

void
pgm_lock_session(void)
{
	LOCKTAG		tag;

	refuse_nested();
	lock_tag(&tag);
	(void) LockAcquire(&tag, ExclusiveLock, true, false);
	session_run = true;
}

void
pgm_unlock_session(void)
{
	LOCKTAG		tag;

	lock_tag(&tag);
	if (LockHeldByMe(&tag, ExclusiveLock))
		(void) LockRelease(&tag, ExclusiveLock, true);
	session_run = false;
}

/*
 * Is the session holding the migration lock waiting, directly or not, for
 * a lock this transaction holds?  Then waiting for it is a deadlock that
 * the lock manager cannot see, since this side polls.
 */
static bool
holder_waits_for_us(const LOCKTAG *tag)
{
	Oid			argtypes[4] = {OIDOID, OIDOID, OIDOID, INT4OID};
	Datum		values[4];
	int			nestlevel = pgm_safe_sql_begin();
	bool		cycle;
	int			rc;

	values[0] = ObjectIdGetDatum(MyDatabaseId);
	values[1] = ObjectIdGetDatum(tag->locktag_field2);
	values[2] = ObjectIdGetDatum(tag->locktag_field3);
	values[3] = Int32GetDatum(MyProcPid);
	rc = SPI_execute_with_args("SELECT 1 FROM pg_catalog.pg_locks l "
							   "WHERE l.locktype OPERATOR(pg_catalog.=) 'advisory' "
							   "AND l.database OPERATOR(pg_catalog.=) $1 "
							   "AND l.classid OPERATOR(pg_catalog.=) $2 "
							   "AND l.objid OPERATOR(pg_catalog.=) $3 "
							   "AND l.objsubid OPERATOR(pg_catalog.=) 1 AND l.granted "
							   "AND $4 OPERATOR(pg_catalog.=) ANY (pg_catalog.pg_blocking_pids(l.pid))",
							   4, argtypes, values, NULL, true, 1);
	pgm_spi_check(rc, SPI_OK_SELECT, "looking for a deadlock on the migration lock");
	cycle = SPI_processed > 0;
	pgm_safe_sql_end(nestlevel);
	return cycle;
}

void
pgm_lock_xact(void)
{
	LOCKTAG		tag;
	bool		waited = false;
	long		sleep_ms = 1;
	TimestampTz start = GetCurrentTimestamp();
	TimestampTz next_check = TimestampTzPlusMilliseconds(start, DeadlockTimeout);

	/* the function path's own run is on (pgm_run_enter); a worker's is not */
	if (session_run)
		refuse_nested();
	lock_tag(&tag);

	/*
	 * Poll rather than queue in the lock manager: while this transaction
	 * waits it holds a snapshot, and a worker that moves on to CREATE INDEX
	 * CONCURRENTLY would wait for that snapshot while we wait for its lock.
	 * Between polls we notice the worker's busy flag and step aside.
	 */
	while (LockAcquire(&tag, ExclusiveLock, false, true) == LOCKACQUIRE_NOT_AVAIL)
	{
		if (worker_outside_transaction())
			ereport(ERROR,
					(errcode(ERRCODE_LOCK_NOT_AVAILABLE),
					 errmsg("another session is applying a migration that commits as it goes in this database"),
					 errdetail("It runs statements such as CREATE INDEX CONCURRENTLY, which wait for every open transaction, or a batched data migration, which may run for hours; waiting for it here would deadlock or hold this transaction open as long."),
					 errhint("Wait for the job to finish (CALL migrate_await(job_id); migrate_jobs lists the jobs), then call again; or apply with CALL migrate_run, which waits without holding a snapshot.")));
		waited = true;

		/* lock_timeout bounds this wait as it bounds a lock manager's wait */
		if (LockTimeout > 0 &&
			TimestampDifferenceExceeds(start, GetCurrentTimestamp(), LockTimeout))
			ereport(ERROR,
					(errcode(ERRCODE_LOCK_NOT_AVAILABLE),
					 errmsg("could not obtain the migration lock within lock_timeout"),
					 errdetail("Another session is applying migrations in this database.")));

		/*
		 * The deadlock detector's job, which it cannot do for a poll: after
		 * deadlock_timeout, and then every deadlock_timeout, is the holder
		 * waiting for us?
		 */
		if (GetCurrentTimestamp() >= next_check)
		{
			if (holder_waits_for_us(&tag))
				ereport(ERROR,
						(errcode(ERRCODE_T_R_DEADLOCK_DETECTED),
						 errmsg("deadlock detected"),
						 errdetail("This transaction waits for the migration lock, held by a session that waits for a lock this transaction holds.")));
			next_check = TimestampTzPlusMilliseconds(GetCurrentTimestamp(), DeadlockTimeout);
		}

		(void) WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH,
						 sleep_ms, PG_WAIT_EXTENSION);
		ResetLatch(MyLatch);
		CHECK_FOR_INTERRUPTS();
		sleep_ms = Min(sleep_ms * 2, 100);
	}

	if (waited && IsolationUsesXactSnapshot())
		ereport(ERROR,
				(errcode(ERRCODE_T_R_SERIALIZATION_FAILURE),
				 errmsg("could not serialize access due to a concurrent migration run"),
				 errdetail("Another session applied migrations in this database while this transaction waited, and this transaction's snapshot cannot see them."),
				 errhint("Retry the transaction, or call migrate_apply in a READ COMMITTED transaction.")));
}
