/*-------------------------------------------------------------------------
 *
 * bgw_common.h
 *	  What every pg_migrate background process shares: registration, the
 *	  background settings, the scheduler's slot in shared memory, the wait,
 *	  rate-limited warnings and SPI set-up for bookkeeping.
 *
 * IDENTIFICATION
 *	  src/bgw_common.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef PGM_BGW_COMMON_H
#define PGM_BGW_COMMON_H

#include "postgres.h"

#include "apply_worker.h"
#include "datatype/timestamp.h"
#include "utils/timestamp.h"
#include "postmaster/bgworker.h"
#include "safe_sql.h"

/* Between scheduler starts, and before a scheduler retries after an error. */
#define PGM_BGW_RESTART_DELAY_MS	(10 * 1000)

/*
 * Defines the background settings and, while preloading, pg_migrate.database,
 * the shared memory and the launcher.  Called from _PG_init.
 */
extern void pgm_bgw_init(void);

/*
 * Fills a BackgroundWorker for a pg_migrate process: database connection,
 * never on a standby, never restarted; bgw_name and bgw_type are type.
 */
extern void pgm_bgw_prepare(BackgroundWorker *worker, const char *function,
							const char *type);

/* Settings. */
extern const char *pgm_bgw_database(void);	/* pg_migrate.database */
extern const char *pgm_bgw_directory(void); /* pg_migrate.directory, "" off */
extern const char *pgm_bgw_role(void);	/* pg_migrate.role, "" unset */
extern int	pgm_bgw_interval_s(void);	/* pg_migrate.interval, 0 off */

/*
 * Options for pgm_run_folder on dir with the workers' lock_timeout and lock
 * retries; every other field zero, for the caller to set.
 */
extern void pgm_bgw_run_options(PgmRunOptions *opts, const char *dir);

/* Is pg_migrate in shared_preload_libraries (so the scheduler can run)? */
extern bool pgm_bgw_preloaded(void);

/* Wakes the scheduler now; false if it is not running (or not preloaded). */
extern bool pgm_bgw_wakeup_scheduler(void);

/*
 * The scheduler's side: publishes its latch, detaching at exit, and
 * returns the wake-up count at that moment; pgm_bgw_wakeup_count tells
 * later whether a wake-up came since.
 */
extern uint64 pgm_bgw_attach_scheduler(void);
extern uint64 pgm_bgw_wakeup_count(void);

/*
 * How many times a scheduler attached: the launcher tells by it whether a
 * scheduler that stopped had connected at all.
 */
extern uint64 pgm_bgw_attach_count(void);

/*
 * Sleeps on the process latch for at most ms, exits with the postmaster,
 * and processes interrupts (SIGTERM: die) after waking.
 */
extern void pgm_wait(long ms, uint32 wait_event);

/* SIGHUP: rereads the configuration; sets *reloaded if it did. */
extern void pgm_reload_config_if_asked(bool *reloaded);

/*
 * An interval in microseconds, a month counted as 30 days (as extract(epoch
 * FROM interval) and interval comparison count it); false on overflow.
 */
extern bool pgm_interval_usecs(const Interval *interval, int64 *usecs);

/* A repeated problem, logged at most every five minutes per key. */
typedef struct PgmRateLimit
{
	TimestampTz last;
	char		key[256];
} PgmRateLimit;

extern bool pgm_should_warn(PgmRateLimit *rl, const char *key);

/*
 * For SQL-callable functions working in the caller's transaction: SPI
 * connected and search_path pinned (pgm_safe_sql_begin); end checks
 * SPI_finish, which returns to the caller's memory context.
 */
extern int	pgm_bookkeeping_begin(void);
extern void pgm_bookkeeping_end(int nestlevel);

/*
 * One statement of the extension's own on bookkeeping table
 * pgmigrate.<table> (jobs, schedules), run as the table's owner, the
 * extension's owner: only that role has DML on them (safe_sql.h's
 * pgm_as_bookkeeping_owner_begin; needs a transaction), with
 * SPI_execute_with_args' arguments; an internal error (naming what) unless
 * SPI returns expected.  Its result is
 * in SPI_tuptable and SPI_processed.
 */
extern void pgm_bgw_owner_execute(const char *table, const char *sql, int nargs,
								  Oid *types, Datum *values, const char *nulls,
								  int expected, const char *what);

/*
 * What the extension looks like in the current database, for the
 * background processes: not installed, installed but older than the
 * library's objects need (1.1), or ready.  Needs a transaction and SPI.
 */
typedef enum PgmExtensionState
{
	PGM_EXTENSION_MISSING,
	PGM_EXTENSION_OLD,
	PGM_EXTENSION_READY
} PgmExtensionState;

extern PgmExtensionState pgm_bgw_extension_state(char **version);

/* For the SQL functions: 55000 unless the objects are 1.1's or later. */
extern void pgm_bgw_check_extension_updated(void);

/*
 * Raises an error unless role roleid may run migrations in a background
 * worker, which logs in as it: it exists and may log in.  what names the
 * run for the message ("a migration job", "a scheduled run").
 */
extern void pgm_bgw_check_login(Oid roleid, const char *what);

/*
 * After an error escaped a run, with the transaction aborted: gives back
 * every session-level advisory lock of this backend (golang-migrate's lock
 * and the busy flag, lock.h, and any a migration took), in a transaction of
 * its own.  Locks the run released already are not held: nothing happens.
 */
extern void pgm_bgw_release_session_locks(void);

#endif							/* PGM_BGW_COMMON_H */
