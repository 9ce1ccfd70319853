/*-------------------------------------------------------------------------
 *
 * exec_spi.h
 *	  Run one migration's statements through SPI, in the current transaction.
 *
 * IDENTIFICATION
 *	  src/exec_spi.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef PGM_EXEC_H
#define PGM_EXEC_H

#include "script.h"

/*
 * Runs every statement of script through SPI and returns the migration's
 * duration in milliseconds.  On error the error is re-raised with its
 * SQLSTATE, message, detail and hint kept, and the file, line, column and
 * statement added; the caller's transaction must then abort, and the caller
 * records nothing.
 */
extern double pgm_exec_migration(PgmScript *script, const PgmFailHints *hints);

/*
 * Refuses, before anything of script runs, what no migration may run in
 * any path: DISCARD ALL (it would reset the session applying the
 * migrations, releasing the worker's migration lock).  The error names the
 * file and line like a failing statement's.  Then reports the file's
 * ignored BEGIN and COMMIT statements (pgm_script_report_noops).
 */
extern void pgm_exec_check_script(PgmScript *script, const PgmFailHints *hints);

/*
 * Adds the file, line, column and statement to an error raised by
 * statement stmt of script (-1: none), keeping its SQLSTATE and message.
 * positions_in_file: the statement ran with the whole file as query text
 * (top-level execution) rather than its own text (SPI).
 */
extern void pgm_decorate_error(PgmScript *script, int stmt, ErrorData *edata,
							   bool positions_in_file, const PgmFailHints *hints);

#endif							/* PGM_EXEC_H */
