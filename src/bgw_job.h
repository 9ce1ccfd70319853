/*-------------------------------------------------------------------------
 *
 * bgw_job.h
 *	  Migration jobs: rows of pgmigrate.jobs, each run by a job worker.
 *
 * IDENTIFICATION
 *	  src/bgw_job.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef PGM_BGW_JOB_H
#define PGM_BGW_JOB_H

#include "postgres.h"

/* Values of pgmigrate.jobs.state */
#define PGM_JOB_QUEUED		"queued"	/* recorded, worker not yet running it */
#define PGM_JOB_RUNNING		"running"
#define PGM_JOB_SUCCEEDED	"succeeded"
#define PGM_JOB_FAILED		"failed"	/* also: the worker vanished */
#define PGM_JOB_CANCELED	"canceled"

/*
 * Records a job that applies dir in the current database as role roleid,
 * started by schedule schedule_id (0: none), and starts its worker, which
 * waits for the current transaction to commit before it reads the job.
 * The row is written as the table's owner, with roleid's name: the caller
 * never chooses it.  Returns the job id; *pid (if not NULL) gets the
 * worker's pid.  When no worker slot is free: with no_slot NULL an error,
 * otherwise *no_slot is set and nothing is recorded (0 returned).  A worker
 * that exits before it connects (its role may not log in, the database
 * refuses connections) is an error.  Needs an SPI connection in a
 * transaction.
 */
extern int64 pgm_job_submit(const char *dir, Oid roleid, int64 schedule_id,
							int *pid, bool *no_slot);

/*
 * Records a job of schedule schedule_id that failed before it started,
 * with error; returns its id.  Needs SPI in a transaction.
 */
extern int64 pgm_job_record_failed(const char *dir, const char *role,
								   int64 schedule_id, const char *error);

/* Is job job_id queued or running, with a live worker?  Needs SPI. */
extern bool pgm_job_live(int64 job_id);

/*
 * Marks failed the queued and running jobs whose worker is gone (the server
 * restarted), in a transaction of its own; nothing if the extension is not
 * installed.
 */
extern void pgm_job_fail_orphaned(void);

/* Entry point named in BackgroundWorker.bgw_function_name. */
extern PGDLLEXPORT void pgm_job_main(Datum main_arg);

#endif							/* PGM_BGW_JOB_H */
