/*-------------------------------------------------------------------------
 *
 * exec.h
 *	  Run one migration inside the caller's transaction.
 *
 * IDENTIFICATION
 *	  src/exec.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef PGM_EXEC_H
#define PGM_EXEC_H

#include "script.h"

/* Called inside the migration's subtransaction once its statements ran. */
typedef void (*PgmAfterMigration) (PgmScript *script, double duration_ms, void *arg);

/*
 * Runs every statement of script through SPI in one subtransaction, then
 * after(); returns the migration's duration in milliseconds.  On error the
 * subtransaction is rolled back and the error re-raised with its SQLSTATE,
 * message, detail and hint kept, and the file, line, column and statement
 * added.
 */
extern double pgm_exec_in_subxact(PgmScript *script, PgmAfterMigration after, void *arg);

#endif							/* PGM_EXEC_H */
