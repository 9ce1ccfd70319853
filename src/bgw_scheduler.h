/*-------------------------------------------------------------------------
 *
 * bgw_scheduler.h
 *	  The scheduler of pg_migrate.database: watches pg_migrate.directory
 *	  and starts due schedules.
 *
 * IDENTIFICATION
 *	  src/bgw_scheduler.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef PGM_BGW_SCHEDULER_H
#define PGM_BGW_SCHEDULER_H

#include "postgres.h"

/* Entry point named in BackgroundWorker.bgw_function_name (the launcher's). */
extern PGDLLEXPORT void pgm_scheduler_main(Datum main_arg);

#endif							/* PGM_BGW_SCHEDULER_H */
