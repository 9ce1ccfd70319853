/*-------------------------------------------------------------------------
 *
 * exec_spi.h
 *	  Run one migration's statements as SPI runs them (from their parse
 *	  trees, not their text), in the current transaction.
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
 * Runs every statement of script from its parse tree, as SPI would (a big
 * file's pieces one after the other, pgm_script_next_piece), and returns
 * the migration's duration in milliseconds.  On error the error is
 * re-raised with its SQLSTATE, message, detail and hint kept, and the
 * file, line, column and statement added; the caller's transaction must
 * then abort, and the caller records nothing.
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
 * positions_in_file: the statement ran with the file (its current piece,
 * pgm_script_source) as query text, as pgm_exec_migration and top-level
 * execution run it, rather than with its own text.
 */
extern void pgm_decorate_error(PgmScript *script, int stmt, ErrorData *edata,
							   bool positions_in_file, const PgmFailHints *hints);

#endif							/* PGM_EXEC_H */
