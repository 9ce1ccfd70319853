/*-------------------------------------------------------------------------
 *
 * lint_trace.h
 *	  The traced dry run: what the pending migrations really lock and
 *	  rewrite on this database, run in a subtransaction rolled back.
 *
 * IDENTIFICATION
 *	  src/lint_trace.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef PGM_LINT_TRACE_H
#define PGM_LINT_TRACE_H

#include "lint_catalog.h"
#include "script.h"

/*
 * Runs scripts (pending migrations, in version order) through SPI in an
 * internal subtransaction that is always rolled back, and appends a "lock"
 * finding per table lock each statement took (SHARE UPDATE EXCLUSIVE and
 * stronger) and a "rewrite" finding per table it rewrote, with the
 * statement's duration.  Statements that cannot run in a transaction block
 * are not run: their finding gives PostgreSQL's documented lock.  An error
 * of a statement is raised, naming the file and line, after the rollback.
 * Needs an open SPI connection.
 */
extern void pgm_lint_trace(PgmLintCatalog *cat, PgmScript **scripts, int nscripts,
						   List **findings);

#endif							/* PGM_LINT_TRACE_H */
