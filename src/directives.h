/*-------------------------------------------------------------------------
 *
 * directives.h
 *	  In-file markers that change how a migration runs.
 *
 * Plain C with no server headers (unit-tested and fuzzed without a server).
 *
 * IDENTIFICATION
 *	  src/directives.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef PGM_DIRECTIVES_H
#define PGM_DIRECTIVES_H

#include <stddef.h>

/*
 * If the first non-blank line of the file asks to run it outside a
 * transaction, returns that line's number (1-based), else 0.  Recognised:
 *   -- pg_migrate:no-transaction
 *   -- no-transaction              (sqlx)
 *   -- +goose NO TRANSACTION       (goose)
 */
extern int	pgm_directive_no_transaction(const char *body, size_t len);

/*
 * If the file is a batched data migration, returns the line (1-based) of
 * its marker, else 0.  The marker may follow a UTF-8 BOM, blank lines and
 * other "--" comment lines:
 *   -- pg_migrate:batch
 */
extern int	pgm_directive_batch(const char *body, size_t len);

#endif							/* PGM_DIRECTIVES_H */
