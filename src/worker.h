/*-------------------------------------------------------------------------
 *
 * worker.h
 *	  Background workers: the launcher, the per-database scheduler that
 *	  watches pg_migrate.directory and runs schedules, and job workers.
 *
 * IDENTIFICATION
 *	  src/worker.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef PGM_WORKER_H
#define PGM_WORKER_H

#include "postgres.h"

/* Settings, defined by pgm_worker_init. */
extern char *pgm_worker_database;
extern int	pgm_lock_timeout_ms;
extern int	pgm_lock_retries;

extern void pgm_worker_init(void);

/* pg_migrate.database, also when pg_migrate is not preloaded. */
extern const char *pgm_worker_database_name(void);

/* Wakes the scheduler; false if it is not running (or not preloaded). */
extern bool pgm_worker_wakeup(void);

/* Is pg_migrate in shared_preload_libraries (so the scheduler can run)? */
extern bool pgm_worker_preloaded(void);

/*
 * Starts a dynamic background worker that runs job job_id of the current
 * database as role roleid; waits until it has started and returns its pid.
 */
extern int	pgm_job_launch(int64 job_id, Oid dboid, Oid roleid);

/* Entry points named in BackgroundWorker.bgw_function_name. */
extern PGDLLEXPORT void pgm_launcher_main(Datum main_arg);
extern PGDLLEXPORT void pgm_scheduler_main(Datum main_arg);
extern PGDLLEXPORT void pgm_job_main(Datum main_arg);

#endif							/* PGM_WORKER_H */
