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

#include "lint_refusals.h"
#include "problems.h"
#include "script.h"

/* Defines pg_migrate.lint and pg_migrate.lint_big_table. */
extern void pgm_lint_init(void);

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
