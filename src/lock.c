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
#include "lock.h"
#include "track.h"
#include "miscadmin.h"
#include "storage/latch.h"
#include "storage/lock.h"
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

void
pgm_lock_session(void)
{
	LOCKTAG		tag;

	lock_tag(&tag);
	(void) LockAcquire(&tag, ExclusiveLock, true, false);
}

void
pgm_unlock_session(void)
{
	LOCKTAG		tag;

	lock_tag(&tag);
	if (LockHeldByMe(&tag, ExclusiveLock))
		(void) LockRelease(&tag, ExclusiveLock, true);
}

void
pgm_lock_xact(void)
{
	LOCKTAG		tag;
	bool		waited = false;
	long		sleep_ms = 1;

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
					 errmsg("a background worker is applying a migration outside a transaction block in this database"),
					 errdetail("It runs statements such as CREATE INDEX CONCURRENTLY, which wait for every open transaction; waiting for it here would deadlock."),
					 errhint("Wait for the job to finish (see migrate_jobs and migrate_wait), then call again.")));
		waited = true;
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
