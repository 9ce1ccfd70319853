/*-------------------------------------------------------------------------
 *
 * lock.h
 *	  The advisory lock that serialises migration runs in a database.
 *
 * IDENTIFICATION
 *	  src/lock.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef PGM_LOCK_H
#define PGM_LOCK_H

/*
 * Takes the lock for the rest of the transaction, waiting for other
 * migration runs to finish: polling, so that no snapshot of ours blocks a
 * worker's CREATE INDEX CONCURRENTLY; bounded by lock_timeout, and a cycle
 * through a lock this transaction holds is reported as a deadlock.  In REPEATABLE READ and SERIALIZABLE, having
 * waited is a serialization failure: our snapshot cannot see what the
 * other run applied.
 */
extern void pgm_lock_xact(void);

/*
 * Session-scoped, across the worker's transactions; released at exit too.
 * Unlocking when the lock is not held does nothing.
 */
extern void pgm_lock_session(void);
extern void pgm_unlock_session(void);

/*
 * The function path's run: refuses a nested run (a migration that applies
 * migrations), until pgm_run_leave or the end of the transaction.  The
 * worker path's run is its session lock, which refuses nesting too.
 */
extern void pgm_run_enter(void);
extern void pgm_run_leave(void);

/* Held by a worker around statements run outside a transaction block. */
extern void pgm_lock_busy_begin(void);
extern void pgm_lock_busy_end(void);

/*
 * Is a session running a migration that commits as it goes (no-transaction
 * or batched) in this database right now?  Another session's busy flag.
 */
extern bool pgm_lock_busy_taken(void);

#endif							/* PGM_LOCK_H */
