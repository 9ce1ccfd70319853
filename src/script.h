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
#include "nodes/pg_list.h"

typedef struct PgmStatement
{
	int			start;			/* byte offset of the first token */
	int			end;			/* byte offset past the last non-blank byte */
	int			line;			/* 1-based line of start */
	Node	   *parsetree;		/* raw parse tree */
} PgmStatement;

typedef struct PgmScript
{
	PgmFile    *file;
	int			nstmts;
	PgmStatement *stmts;
} PgmScript;

/*
 * Parses a loaded file.  Syntax errors, transaction control other than one
 * BEGIN ... COMMIT around the whole file, psql meta-commands and COPY from
 * or to the client raise an ERROR naming the file and line.
 */
extern PgmScript *pgm_script_parse(PgmFile *file);

/* NUL-terminated copy of a statement's text, for execution. */
extern char *pgm_statement_text(const PgmScript *script, int i);

/* Statement text for messages: at most a few hundred bytes, on one line. */
extern char *pgm_statement_excerpt(const PgmScript *script, int i);

/* 1-based line and column (in characters) of a byte offset in the file. */
extern void pgm_script_position(const PgmFile *file, int offset, int *line, int *column);

#endif							/* PGM_SCRIPT_H */
