/*-------------------------------------------------------------------------
 *
 * lint_rules.h
 *	  The static rules: which statement of a file takes which lock on
 *	  which table, judged from its parse tree and the catalog.
 *
 * IDENTIFICATION
 *	  src/lint_rules.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef PGM_LINT_RULES_H
#define PGM_LINT_RULES_H

#include "lint_catalog.h"
#include "script.h"
#include "storage/lockdefs.h"

/* Stable rule ids */
#define PGM_RULE_INDEX_NOT_CONCURRENT		"index-not-concurrent"
#define PGM_RULE_ADD_COLUMN_VOLATILE		"add-column-volatile-default"
#define PGM_RULE_ADD_COLUMN_NOT_NULL		"add-column-not-null-no-default"
#define PGM_RULE_SET_NOT_NULL				"set-not-null"
#define PGM_RULE_ALTER_COLUMN_TYPE			"alter-column-type"
#define PGM_RULE_CONSTRAINT_NOT_VALID		"constraint-not-valid"
#define PGM_RULE_UNIQUE_WITHOUT_INDEX		"unique-constraint-without-index"
#define PGM_RULE_EXCLUSION_CONSTRAINT		"exclusion-constraint"
#define PGM_RULE_RENAME						"rename"
#define PGM_RULE_DROP						"drop"
#define PGM_RULE_TRUNCATE					"truncate"
#define PGM_RULE_LOCK_HEAVY					"lock-heavy"
#define PGM_RULE_CONCURRENT_IN_TRANSACTION	"concurrent-in-transaction"
#define PGM_RULE_NO_LOCK_TIMEOUT			"no-lock-timeout"
#define PGM_RULE_BACKFILL_IN_DDL_FILE		"backfill-in-ddl-file"
#define PGM_RULE_ENUM_VALUE_IN_TRANSACTION	"enum-value-in-transaction"
#define PGM_RULE_PREFER_TEXT				"prefer-text-over-varchar"
#define PGM_RULE_PREFER_BIGINT_IDENTITY		"prefer-bigint-identity"
#define PGM_RULE_PREFER_TIMESTAMPTZ			"prefer-timestamptz"
#define PGM_RULE_BAN_CHAR					"ban-char"
#define PGM_RULE_PREFER_JSONB				"prefer-jsonb"

/*
 * Appends the findings of every rule for script's statements to
 * *findings (allocated in the current memory context), in statement order,
 * with lint-ignore comments applied, and records what the file creates in
 * cat.  guc_lock_timeout: pg_migrate.lock_timeout is set.
 */
extern void pgm_lint_rules_file(PgmLintCatalog *cat, PgmScript *script,
								bool guc_lock_timeout, List **findings);

/*
 * For a statement that cannot run inside a transaction block: the lock
 * PostgreSQL documents for it on *rv (NoLock and NULL if none), and its
 * kind for messages; NULL if the statement can run in a transaction.
 */
extern const char *pgm_lint_untraceable(Node *tree, LOCKMODE *mode, RangeVar **rv);

/* "ACCESS EXCLUSIVE" and the like, as the documentation names lock modes. */
extern const char *pgm_lint_lock_mode_name(LOCKMODE mode);

/* The tables a statement names (RangeVar), for the trace's rewrite check. */
extern List *pgm_lint_statement_tables(Node *tree);

#endif							/* PGM_LINT_RULES_H */
