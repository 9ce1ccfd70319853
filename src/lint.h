/*-------------------------------------------------------------------------
 *
 * lint.h
 *	  Rules over a migration's parse trees: what a statement cannot do in
 *	  a migration.
 *
 * IDENTIFICATION
 *	  src/lint.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef PGM_LINT_H
#define PGM_LINT_H

#include "problems.h"
#include "script.h"

/* Stable rule ids */
#define PGM_RULE_TRANSACTION_CONTROL	"transaction-control"
#define PGM_RULE_COPY_CLIENT			"copy-client"

/* Every finding of script, in statement order (a List of PgmProblem). */
extern List *pgm_lint_script(PgmScript *script);

/*
 * Raises the first error-severity finding of script as an ERROR with the
 * rule's SQLSTATE, naming the file and line: what apply does; validate
 * lists them all instead.
 */
extern void pgm_lint_enforce(PgmScript *script);

#endif							/* PGM_LINT_H */
