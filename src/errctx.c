/*-------------------------------------------------------------------------
 *
 * errctx.c
 *	  The error-context callback of a migration file.
 *
 * IDENTIFICATION
 *	  src/errctx.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "errctx.h"
#include "lib/stringinfo.h"

static void
file_context_callback(void *arg)
{
	PgmFileContext *ctx = (PgmFileContext *) arg;

	if (ctx->quiet)
		return;
	if (ctx->line > 0 && ctx->column > 0 && ctx->excerpt != NULL)
		errcontext("migration file \"%s\", line %d, column %d: %s",
				   ctx->filename, ctx->line, ctx->column, ctx->excerpt);
	else if (ctx->line > 0 && ctx->column > 0)
		errcontext("migration file \"%s\", line %d, column %d",
				   ctx->filename, ctx->line, ctx->column);
	else if (ctx->line > 0)
		errcontext("migration file \"%s\", line %d", ctx->filename, ctx->line);
	else
		errcontext("migration file \"%s\"", ctx->filename);
}

char *
pgm_error_summary(ErrorData *edata, bool with_sqlstate)
{
	StringInfoData buf;
	const char *where = edata->context ? strstr(edata->context, "migration file ") : NULL;

	initStringInfo(&buf);
	if (with_sqlstate)
		appendStringInfo(&buf, "%s: ", unpack_sql_state(edata->sqlerrcode));
	appendStringInfoString(&buf, edata->message);
	if (edata->detail)
		appendStringInfo(&buf, ". %s", edata->detail);
	if (where)
		appendStringInfo(&buf, " (%.*s)", (int) strcspn(where, "\n"), where);
	return buf.data;
}

void
pgm_errctx_push(PgmFileContext *ctx, const char *filename)
{
	memset(ctx, 0, sizeof(PgmFileContext));
	ctx->filename = filename;
	ctx->callback.callback = file_context_callback;
	ctx->callback.arg = ctx;
	ctx->callback.previous = error_context_stack;
	error_context_stack = &ctx->callback;
}

void
pgm_errctx_pop(PgmFileContext *ctx)
{
	Assert(error_context_stack == &ctx->callback);
	error_context_stack = ctx->callback.previous;
}

void
pgm_errctx_at(PgmFileContext *ctx, int line, int column, const char *excerpt)
{
	ctx->quiet = false;
	ctx->line = line;
	ctx->column = column;
	ctx->excerpt = excerpt;
}
