/*-------------------------------------------------------------------------
 *
 * script.h
 *	  A migration file split into statements by the server's own parser.
 *
 * IDENTIFICATION
 *	  src/script.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef PGM_SCRIPT_H
#define PGM_SCRIPT_H

#include "folder.h"
#include "nodes/parsenodes.h"
#include "nodes/pg_list.h"

typedef struct PgmStatement
{
	int			start;			/* byte offset of the first token */
	int			end;			/* byte offset past the last non-blank byte */
	int			line;			/* 1-based line of start */
	Node	   *parsetree;		/* raw parse tree */
	RawStmt    *raw;			/* with its location in the file */
} PgmStatement;

/*
 * A BEGIN, START TRANSACTION, COMMIT or END the file holds: a no-op here,
 * since the file already runs as one unit (or, outside a transaction block,
 * statement by statement); reported with a NOTICE when the file runs.
 */
typedef struct PgmNoop
{
	int			start;			/* byte offset of the first token */
	int			end;			/* byte offset past the last non-blank byte */
	const char *keyword;		/* "BEGIN", "COMMIT", ... as written */
	bool		quiet;			/* one BEGIN ... COMMIT around the whole file */
} PgmNoop;

typedef struct PgmScript
{
	PgmFile    *file;
	int			nstmts;
	PgmStatement *stmts;		/* what runs: no-ops left out */
	int			nnoops;
	PgmNoop    *noops;			/* in file order */

	/*
	 * Must run outside a transaction block, statement by statement: a
	 * marker on the first line, or a statement PostgreSQL refuses inside a
	 * transaction block (CREATE INDEX CONCURRENTLY, VACUUM, ...).
	 */
	bool		no_transaction;
	const char *no_transaction_reason;	/* the statement kind or marker */
	int			no_transaction_line;

	/* its trees were analyzed, which changes them: parse again to rerun */
	bool		executed;
} PgmScript;

/*
 * What a failed migration's error tells the user to do; it depends on the
 * path that runs it (the caller's transaction, the worker, a job), so the
 * path passes it in.
 */
typedef struct PgmFailHints
{
	const char *fix;			/* the file is wrong: what next */

	/*
	 * Ran out of lock slots: what next, with one %d for
	 * max_locks_per_transaction; NULL keeps the server's own hint.
	 */
	const char *out_of_locks;

	/*
	 * A new enum value used before the transaction that added it committed
	 * (55P04): added by an earlier migration of the same run, or by an
	 * earlier statement of the same file.  NULL keeps the server's hint (the
	 * first) or a path-independent one (the second).
	 */
	const char *enum_added_before;
	const char *enum_added_here;
} PgmFailHints;

/*
 * Parses a loaded file into statements; BEGIN, START TRANSACTION, COMMIT and
 * END without options are left out as no-ops (script->noops).  Syntax errors and psql meta-commands raise an
 * ERROR naming the file and line, with hints->fix.  The statements' rules
 * are lint.c's.
 */
extern PgmScript *pgm_script_parse(PgmFile *file, const PgmFailHints *hints);

/*
 * Parses the file of a script that ran before again, so it can run again
 * (the worker retrying after a lock timeout): analysis changes parse trees.
 */
extern void pgm_script_reparse(PgmScript *script);

/*
 * Why a statement cannot run in a transaction block (CREATE INDEX
 * CONCURRENTLY, VACUUM, ...), or NULL.
 */
extern const char *pgm_statement_no_transaction_reason(Node *parsetree);

/* NUL-terminated copy of a statement's text, for execution. */
extern char *pgm_statement_text(const PgmScript *script, int i);

/* Statement text for messages: at most a few hundred bytes, on one line. */
extern char *pgm_statement_excerpt(const PgmScript *script, int i);

/*
 * Why migrate_apply, which runs migrations inside the caller's transaction,
 * refuses this file, on one line for migrate_validate; NULL if it does not.
 */
extern char *pgm_script_transaction_problem(const PgmScript *script);

/*
 * Reports the file's no-ops, one NOTICE each naming the file and line
 * (the whole-file BEGIN ... COMMIT pair quietly): called by the paths that
 * run the file, not by validate or lint.
 */
extern void pgm_script_report_noops(PgmScript *script);

/* Byte offset in s (len bytes) of the 1-based character position pos. */
extern int	pgm_char_to_byte_offset(const char *s, int len, int pos);

/*
 * 1-based line and column (in characters) of a byte offset in the file (at
 * a character boundary).  Moves on from the position asked before (kept in
 * the file): asked in ascending order, positions cost one pass over the
 * file in all.
 */
extern void pgm_script_position(PgmFile *file, int offset, int *line, int *column);

#endif							/* PGM_SCRIPT_H */
