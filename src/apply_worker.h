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

#include "plan.h"

typedef struct PgmRunOptions
{
	const char *dir;
	const char *applied_by;		/* history's applied_by; NULL: current role */
	const PgmPlanOptions *plan; /* target, out_of_order...; NULL: defaults */
	int			lock_timeout_ms;	/* 0: none; -1: leave the session's own */
	int			lock_retries;	/* extra attempts after a lock timeout */
	const char *fix_hint;		/* a failed migration's hint; NULL: a job's */

	/*
	 * A query cancel (pg_cancel_backend) of a migration is its failure:
	 * logged, recorded (history "failed" row, the tool's table dirty) and
	 * retried by the next run, with result->canceled set so that the caller
	 * runs again without waiting for the folder to change.  For the
	 * scheduler, which has no job row to show a cancel.  Otherwise a cancel
	 * is logged and ends the run as canceled, recording nothing (jobs:
	 * migrate_cancel, shown in the job's row).
	 */
	bool		record_cancel;

	/*
	 * migrate_run: the run is the caller's command.  A NOTICE per migration
	 * applied; a failure is not logged here but handed back whole
	 * (result->edata) for the caller to raise; the session's activity
	 * string is put back at the end.
	 */
	bool		in_session;
} PgmRunOptions;

typedef struct PgmRunResult
{
	int			applied;
	bool		failed;
	bool		canceled;		/* stopped by a query cancel (migrate_cancel,
								 * pg_cancel_backend) */
	char	   *error;			/* one line, for jobs and logs */
	ErrorData  *edata;			/* in_session: the error that ended the run */
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
