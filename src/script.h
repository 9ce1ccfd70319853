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
	bool		file_first;		/* a BEGIN, the file's first statement */
	bool		file_last;		/* a COMMIT, the file's last statement */
} PgmNoop;

/*
 * Files up to PGM_SCRIPT_WHOLE_MAX bytes are parsed whole before anything
 * runs.  Bigger ones are parsed a piece of about PGM_SCRIPT_PIECE bytes at
 * a time as they run (pgm_script_parse_lazy): the parse trees of a whole
 * file take about twelve times its size.
 */
#define PGM_SCRIPT_WHOLE_MAX	(4 * 1024 * 1024)
#define PGM_SCRIPT_PIECE		(1024 * 1024)

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

	/* A batched data migration (batch.h): its one statement, repeated. */
	bool		batch;
	int			batch_line;		/* of the marker */

	/* its trees were analyzed, which changes them: parse again to rerun */
	bool		executed;

	/*
	 * The piece of the file the statements come from: their parse trees'
	 * locations count from src_start (0 when parsed whole); next_start is
	 * where the next piece starts, file->len when there is none.
	 */
	int			src_start;
	int			next_start;
	MemoryContext piececxt;		/* the current piece's trees; NULL if whole */
	PgmLineCursor lines;		/* statement lines, on from piece to piece */

	/* no-ops seen so far; the file's first BEGIN is held until it is known */
	int			noops_seen;
	bool		holding;
	PgmNoop		held;
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
 * For running a file: parses it whole if it is small or must run outside a
 * transaction block, else only its first piece; pgm_script_next_piece then
 * moves on as it runs, freeing each piece's trees.  A syntax error in a
 * later piece is raised when that piece is reached (the migration's
 * transaction then rolls back, as for any failing statement), and
 * statements of later pieces that cannot run in a transaction block fail
 * when they run.
 */
extern PgmScript *pgm_script_parse_lazy(PgmFile *file, const PgmFailHints *hints);

/*
 * Replaces script's statements with the next piece's (after freeing the
 * current ones); false if the file has no more.
 */
extern bool pgm_script_next_piece(PgmScript *script, const PgmFailHints *hints);

/* The text the statements' parse trees refer to, NUL-terminated. */
extern const char *pgm_script_source(const PgmScript *script);

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
