/*-------------------------------------------------------------------------
 *
 * lint_refusals.h
 *	  What a statement can never do in a migration.
 *
 * IDENTIFICATION
 *	  src/lint_refusals.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef PGM_LINT_REFUSALS_H
#define PGM_LINT_REFUSALS_H

#include "problems.h"
#include "script.h"

/* Stable rule ids: refusals, which always apply */
#define PGM_RULE_TRANSACTION_CONTROL	"transaction-control"
#define PGM_RULE_COPY_CLIENT			"copy-client"

/* The refusals of script (a List of PgmProblem), in statement order. */
extern List *pgm_lint_script(PgmScript *script);

/*
 * Raises the first error-severity refusal of script as an ERROR with the
 * rule's SQLSTATE, naming the file and line: what apply does; validate
 * lists them all instead.  Independent of pg_migrate.lint.
 */
extern void pgm_lint_enforce(PgmScript *script);

#endif							/* PGM_LINT_REFUSALS_H */
