/*-------------------------------------------------------------------------
 *
 * exec_spi.c
 *	  Run a migration's statements with SPI.
 *
 * On error the error data is copied, enriched with the file, line, column
 * and statement, and re-thrown with its original SQLSTATE, message, detail
 * and source location.  Nothing runs after an error: the caller's
 * transaction (the function path) or the worker's per-migration transaction
 * is aborted by whoever catches it.  So no subtransaction is needed, and
 * none is taken: with one subtransaction per migration, a call applying
 * more than 64 migrations would overflow the backend's cache of
 * subtransaction ids and slow every other session's snapshots.
 *
 * Statements run one SPI_execute each (non-top-level, like a function
 * body), so the failing statement is known and error positions inside it
 * map back to the file.  The whole call stays one transaction: the caller
 * sees all of it or none of it.
 *
 * Statements PostgreSQL refuses inside a transaction block say, through
 * SPI, that they "cannot be executed from a function": not true of a
 * migration, whose statements run in a transaction.  That refusal is
 * reported as what it is, with the way out (a no-transaction file).
 * DISCARD ALL is refused in every path before anything of its file runs:
 * at top level it would reset the session applying the migrations,
 * releasing the worker's migration lock (pgm_exec_check_script).
 *
 * IDENTIFICATION
 *	  src/exec_spi.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xact.h"
#include "executor/spi.h"
#include "exec_spi.h"
#include "lib/stringinfo.h"
#include "mb/pg_wchar.h"
#include "miscadmin.h"
#include "portability/instr_time.h"
#include "storage/lock.h"
#include "tcop/utility.h"
#include "utils/guc.h"
#include "utils/memutils.h"

/* PreventInTransactionBlock's refusal when not at top level (xact.c) */
#define FROM_FUNCTION_MSGID "%s cannot be executed from a function"
#define FROM_FUNCTION_SUFFIX " cannot be executed from a function"

/*
 * SPI adds 'SQL statement "<text>"' as the outermost context line; we name
 * the statement ourselves, with its file and line, so drop that line.
 */
static char *
strip_spi_context(const char *context, const char *sql)
{
	char	   *suffix;
	size_t		clen;
	size_t		slen;

	if (context == NULL)
		return NULL;
	suffix = psprintf("SQL statement \"%s\"", sql);
	clen = strlen(context);
	slen = strlen(suffix);
	if (clen >= slen && strcmp(context + clen - slen, suffix) == 0)
	{
		clen -= slen;
		while (clen > 0 && context[clen - 1] == '\n')
			clen--;
		return clen > 0 ? pnstrdup(context, clen) : NULL;
	}
	return pstrdup(context);
}

/* Does a statement of script before stmt add an enum value? */
static bool
adds_enum_value_before(PgmScript *script, int stmt)
{
	int			i;

	for (i = 0; i < stmt && i < script->nstmts; i++)
	{
		Node	   *tree = script->stmts[i].parsetree;

		if (IsA(tree, AlterEnumStmt) && ((AlterEnumStmt *) tree)->oldVal == NULL)
			return true;
	}
	return false;
}

static const char *
migration_hint(PgmScript *script, int stmt, ErrorData *edata, const PgmFailHints *hints)
{
	if (edata->sqlerrcode == ERRCODE_UNSAFE_NEW_ENUM_VALUE_USAGE && stmt >= 0)
	{
		if (adds_enum_value_before(script, stmt))
			return hints->enum_added_here ? hints->enum_added_here :
				_("An earlier statement of this migration adds the value, and a new enum value can be used only once that transaction has committed. Move the statements that use it to a later migration.");
		if (hints->enum_added_before != NULL)
			return hints->enum_added_before;
	}
	if (edata->sqlerrcode == ERRCODE_OUT_OF_MEMORY && edata->hint != NULL &&
		strstr(edata->hint, "max_locks_per_transaction") != NULL &&
		hints->out_of_locks != NULL)
		return psprintf(hints->out_of_locks, max_locks_per_xact);
	if (edata->hint != NULL)
		return edata->hint;
	return hints->fix;
}

/*
 * A statement PostgreSQL refuses inside a transaction block was run in the
 * migration's transaction: SPI's wording ("cannot be executed from a
 * function") is replaced by the one PostgreSQL uses in a transaction block,
 * naming the same statement, with the way out.  The statement's name comes
 * from the original message when it is untranslated, else from its tag.
 */
static void
reword_not_toplevel(PgmScript *script, int stmt, ErrorData *edata)
{
	const char *what;
	size_t		mlen;
	size_t		slen = strlen(FROM_FUNCTION_SUFFIX);

	if (stmt < 0 || edata->sqlerrcode != ERRCODE_ACTIVE_SQL_TRANSACTION ||
		edata->message_id == NULL ||
		strcmp(edata->message_id, FROM_FUNCTION_MSGID) != 0)
		return;

	mlen = edata->message ? strlen(edata->message) : 0;
	if (mlen > slen && strcmp(edata->message + mlen - slen, FROM_FUNCTION_SUFFIX) == 0)
		what = pnstrdup(edata->message, mlen - slen);
	else
		what = CreateCommandName(script->stmts[stmt].parsetree);

	edata->message = psprintf(_("%s cannot run inside a transaction block"), what);
	edata->detail = pstrdup(_("Each migration runs as one transaction, unless its file runs outside a transaction block."));
	edata->hint = psprintf(_("Put \"-- pg_migrate:no-transaction\" on the first line of migration file \"%s\" and apply it with migrate_apply_async() or the background worker, which run such files one statement at a time."),
						   script->file->filename);
}

/* DISCARD ALL at statement i: an ERROR naming the file and line. */
static void
refuse_discard_all(PgmScript *script, int i, const PgmFailHints *hints)
{
	MemoryContext oldcontext = CurrentMemoryContext;

	PG_TRY();
	{
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("DISCARD ALL is not allowed in a migration"),
				 errdetail("It would reset the session that applies the migrations, releasing its migration lock and its settings."),
				 errhint("Use DISCARD PLANS, DISCARD SEQUENCES or DISCARD TEMP, or RESET for settings; settings a migration changes last until its end anyway.")));
	}
	PG_CATCH();
	{
		ErrorData  *edata;

		MemoryContextSwitchTo(oldcontext);
		edata = CopyErrorData();
		FlushErrorState();
		pgm_decorate_error(script, i, edata, false, hints);
		ThrowErrorData(edata);
	}
	PG_END_TRY();
}

void
pgm_exec_check_script(PgmScript *script, const PgmFailHints *hints)
{
	int			i;

	for (i = 0; i < script->nstmts; i++)
	{
		Node	   *tree = script->stmts[i].parsetree;

		if (IsA(tree, DiscardStmt) && ((DiscardStmt *) tree)->target == DISCARD_ALL)
			refuse_discard_all(script, i, hints);
	}
	pgm_script_report_noops(script);
}

void
pgm_decorate_error(PgmScript *script, int stmt, ErrorData *edata, bool positions_in_file,
				   const PgmFailHints *hints)
{
	PgmFile    *file = script->file;
	StringInfoData context;
	char	   *inner_context = edata->context;

	initStringInfo(&context);
	if (stmt >= 0)
	{
		PgmStatement *st = &script->stmts[stmt];
		int			offset = st->start;
		int			len = st->end - st->start;
		char	   *sql = pgm_statement_text(script, stmt);
		int			line;
		int			column;

		if (positions_in_file)
		{
			/* the statement ran with the whole file as its query text */
			if (edata->cursorpos > 0)
				offset = pgm_char_to_byte_offset(file->body, (int) file->len, edata->cursorpos);
		}
		/* a position inside our statement (not inside a function it called) */
		else if (edata->internalpos > 0 && edata->internalquery != NULL &&
				 strcmp(edata->internalquery, sql) == 0)
			offset += pgm_char_to_byte_offset(sql, len, edata->internalpos);
		else if (edata->cursorpos > 0 && edata->internalquery == NULL)
			offset += pgm_char_to_byte_offset(sql, len, edata->cursorpos);
		pgm_script_position(file, offset, &line, &column);
		inner_context = strip_spi_context(edata->context, sql);

		if (inner_context != NULL)
			appendStringInfo(&context, "%s\n", inner_context);
		appendStringInfo(&context, "migration file \"%s\", line %d, column %d: %s",
						 file->filename, line, column, pgm_statement_excerpt(script, stmt));
	}
	else
	{
		if (inner_context != NULL)
			appendStringInfo(&context, "%s\n", inner_context);
		appendStringInfo(&context, "migration file \"%s\"", file->filename);
	}

	/*
	 * Keep the original SQLSTATE, message, detail and source location; the
	 * location in the file goes to the context, like PL/pgSQL's line.
	 * Positions referred to text the client never saw, so they are dropped.
	 */
	edata->hint = pstrdup(migration_hint(script, stmt, edata, hints));
	edata->context = context.data;
	edata->cursorpos = 0;
	edata->internalpos = 0;
	edata->internalquery = NULL;
}

double
pgm_exec_migration(PgmScript *script, const PgmFailHints *hints)
{
	MemoryContext oldcontext = CurrentMemoryContext;
	volatile int current = -1;
	volatile double duration_ms = 0;
	instr_time	start;

	pgm_exec_check_script(script, hints);

	INSTR_TIME_SET_CURRENT(start);
	PG_TRY();
	{
		instr_time	elapsed;
		int			i;

		/*
		 * Settings a migration changes (SET search_path, SET lock_timeout)
		 * last until its end, as in a function with a SET clause: the next
		 * migration and the caller's session start from the caller's.
		 */
		int			guc_level = NewGUCNestLevel();

		for (i = 0; i < script->nstmts; i++)
		{
			char	   *sql = pgm_statement_text(script, i);
			int			rc;

			current = i;
			CHECK_FOR_INTERRUPTS();
			rc = SPI_execute(sql, false, 0);
			if (rc < 0)
				ereport(ERROR,
						(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
						 errmsg("statement cannot run inside a migration: %s",
								SPI_result_code_string(rc))));
			SPI_freetuptable(SPI_tuptable);
			pfree(sql);
		}
		current = -1;
		AtEOXact_GUC(false, guc_level);

		INSTR_TIME_SET_CURRENT(elapsed);
		INSTR_TIME_SUBTRACT(elapsed, start);
		duration_ms = INSTR_TIME_GET_MILLISEC(elapsed);
	}
	PG_CATCH();
	{
		ErrorData  *edata;

		/*
		 * Nothing goes on after an error: the transaction is aborted by
		 * whoever catches the re-thrown error, so no subtransaction is
		 * needed to clean up here, only the message to enrich.
		 */
		MemoryContextSwitchTo(oldcontext);
		edata = CopyErrorData();
		FlushErrorState();
		reword_not_toplevel(script, current, edata);
		pgm_decorate_error(script, current, edata, false, hints);
		ThrowErrorData(edata);
		pg_unreachable();
	}
	PG_END_TRY();

	return duration_ms;
}
