/*-------------------------------------------------------------------------
 *
 * apply_worker.h
 *	  Apply a folder from a background worker, committing each migration.
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

#endif							/* PGM_RUNNER_H */
