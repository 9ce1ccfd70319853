/*-------------------------------------------------------------------------
 *
 * lint.h
 *	  Rules over a migration's parse trees: what a statement cannot do in
 *	  a migration (refusals), and which statement takes which lock on which
 *	  table for how long (migrate_lint, pg_migrate.lint).
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

/* Severities of lint findings beside problems.h's error and warning */
#define PGM_SEVERITY_INFO		"info"
#define PGM_SEVERITY_IGNORED	"ignored"	/* suppressed by a lint-ignore comment */

/* Stable rule ids: refusals, which always apply */
#define PGM_RULE_TRANSACTION_CONTROL	"transaction-control"
#define PGM_RULE_COPY_CLIENT			"copy-client"

/* Defines pg_migrate.lint and pg_migrate.lint_big_table. */
extern void pgm_lint_init(void);

/* The refusals of script (a List of PgmProblem), in statement order. */
extern List *pgm_lint_script(PgmScript *script);

/*
 * Raises the first error-severity refusal of script as an ERROR with the
 * rule's SQLSTATE, naming the file and line: what apply does; validate
 * lists them all instead.  Independent of pg_migrate.lint.
 */
extern void pgm_lint_enforce(PgmScript *script);

/*
 * What the files linted so far created (tables, indexes, schemas, types),
 * so that statements on them give no finding, and the settings read once.
 * Files are linted in version order.
 */
typedef struct PgmLint PgmLint;

/*
 * Starts linting the pending files of one call.  mode is "off", "warn",
 * "error" or NULL for pg_migrate.lint; returns NULL when linting is off.
 */
extern PgmLint *pgm_lint_start(const char *mode);

/*
 * pg_migrate.lint for one parsed pending file, called after
 * pgm_lint_enforce, in version order, before anything of the call runs:
 * "warn" reports each finding as a WARNING, "error" too and then refuses
 * the file (ERROR) at its first error-severity finding, naming the rule,
 * file and line.  Does nothing when lint is NULL.
 */
extern void pgm_lint_check(PgmLint *lint, PgmScript *script);

/*
 * Every finding of the folder's files (pending ones only, or all), as
 * PgmProblem, in version and statement order; with trace, the pending
 * files are also run in a subtransaction that is rolled back, and the
 * locks and rewrites they caused are added.  Opens its own SPI
 * connection.
 */
extern List *pgm_lint_folder(const char *dir, bool pending_only, bool trace);

#endif							/* PGM_LINT_H */
