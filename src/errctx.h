/*-------------------------------------------------------------------------
 *
 * errctx.h
 *	  Where in a migration file an error happened, as error context, the
 *	  way PL/pgSQL names the function and line.
 *
 * Pushed while a file is loaded, parsed and run; the code that knows the
 * position sets it before it raises or re-raises, and every error then
 * ends with one CONTEXT line:
 *	 migration file "3_c.up.sql", line 2, column 8: SELECT 1/0
 *
 * IDENTIFICATION
 *	  src/errctx.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef PGM_ERRCTX_H
#define PGM_ERRCTX_H

#include "folder.h"

typedef struct PgmFileContext
{
	ErrorContextCallback callback;
	const char *filename;
	bool		quiet;			/* the error will be caught and re-raised */
	int			line;			/* 0: unknown */
	int			column;			/* 0: unknown */
	const char *excerpt;		/* the statement, or NULL */
} PgmFileContext;

extern void pgm_errctx_push(PgmFileContext *ctx, const char *filename);
extern void pgm_errctx_pop(PgmFileContext *ctx);

/*
 * An error on one line, for validate rows, job and history records, logs:
 * "[SQLSTATE: ]message. Detail (migration file "x", line 2, column 1: stmt)".
 */
extern char *pgm_error_summary(ErrorData *edata, bool with_sqlstate);

/* The position the next error is reported at. */
extern void pgm_errctx_at(PgmFileContext *ctx, int line, int column, const char *excerpt);

#endif							/* PGM_ERRCTX_H */
