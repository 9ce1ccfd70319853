/*-------------------------------------------------------------------------
 *
 * bgw_launcher.h
 *	  The launcher: keeps one scheduler running in pg_migrate.database.
 *
 * IDENTIFICATION
 *	  src/bgw_launcher.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef PGM_BGW_LAUNCHER_H
#define PGM_BGW_LAUNCHER_H

#include "postgres.h"

/* Registers the launcher; only while shared_preload_libraries is loaded. */
extern void pgm_launcher_register(void);

/* Entry point named in BackgroundWorker.bgw_function_name. */
extern PGDLLEXPORT void pgm_launcher_main(Datum main_arg);

#endif							/* PGM_BGW_LAUNCHER_H */
