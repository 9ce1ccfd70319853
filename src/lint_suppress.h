/*-------------------------------------------------------------------------
 *
 * lint_suppress.h
 *	  lint-ignore comments: findings a migration's author accepted.
 *
 * IDENTIFICATION
 *	  src/lint_suppress.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef PGM_LINT_SUPPRESS_H
#define PGM_LINT_SUPPRESS_H

#include "script.h"

/*
 * The rule ids (a List of C strings) that
 *	 -- pg_migrate:lint-ignore <rule>[, <rule>]
 * comments ignore for the whole file: those at the top of the file, before
 * the first statement and not directly above it.
 */
extern List *pgm_lint_file_ignores(const PgmScript *script);

/*
 * The rule ids that such comments directly above statement i (on the lines
 * right before it, with no blank line between) ignore for it.
 */
extern List *pgm_lint_statement_ignores(const PgmScript *script, int i);

/* Is rule in rules (a List of C strings)? */
extern bool pgm_lint_rule_in(List *rules, const char *rule);

#endif							/* PGM_LINT_SUPPRESS_H */
