/*-------------------------------------------------------------------------
 *
 * runner.h
 *	  Apply a folder from a background worker, committing each migration.
 *
 * IDENTIFICATION
 *	  src/runner.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef PGM_RUNNER_H
#define PGM_RUNNER_H

typedef struct PgmRunOptions
{
	const char *dir;
	const char *applied_by;		/* history's applied_by; NULL: current role */
	int			lock_timeout_ms;	/* 0: none */
	int			lock_retries;	/* extra attempts after a lock timeout */
} PgmRunOptions;

typedef struct PgmRunResult
{
	int			applied;
	bool		failed;
	bool		canceled;		/* stopped by a query cancel (migrate_cancel) */
	char	   *error;			/* one line, for jobs and logs */
} PgmRunResult;

/*
 * Applies the pending migrations of opts->dir, each in its own transaction
 * (no-transaction files one statement per transaction), holding the
 * migration lock for the whole run.  Must be called outside a transaction.
 * A failure is recorded (history "failed" row, schema_migrations dirty) and
 * stops the run; nothing further is applied until the file changes.
 */
extern void pgm_run_folder(const PgmRunOptions *opts, PgmRunResult *result);

/*
 * One unit of a worker's work (pg_cron's bracket): statement timestamp,
 * transaction, snapshot and SPI connection; ended by pgm_unit_end, which
 * commits.  An error in between is rolled back by AbortCurrentTransaction.
 */
extern void pgm_unit_begin(void);
extern void pgm_unit_end(void);

#endif							/* PGM_RUNNER_H */
