/*-------------------------------------------------------------------------
 *
 * apply_worker.h
 *	  The worker path: apply a folder outside a caller's transaction,
 *	  committing each migration.
 *
 * IDENTIFICATION
 *	  src/apply_worker.h
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
	const char *fix_hint;		/* a failed migration's hint; NULL: a job's */
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
 * A failure is recorded (history "failed" row, the tool's table dirty) and
 * stops the run.
 */
extern void pgm_run_folder(const PgmRunOptions *opts, PgmRunResult *result);

#endif							/* PGM_RUNNER_H */
