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
 * Each statement runs as SPI_execute would run it (non-top-level, like a
 * function body), but from the parse tree script.c already has: no second
 * parse.  The steps are _SPI_execute_plan's for a one-shot plan in the
 * default, read-write, atomic case: analyze and rewrite under the caller's
 * snapshot; plan; if the statement needs a snapshot, a new one for it
 * (GetTransactionSnapshot) with the command counter advanced before each
 * query the rewriter made; the executor (ExecutorStart ... ExecutorEnd,
 * which fire AFTER triggers at the end of the query) or ProcessUtility in
 * PROCESS_UTILITY_QUERY context; the command counter advanced after the
 * statement so the next one sees its effects.  Output goes nowhere
 * (DestNone): a migration's SELECT keeps no rows.  The query text is the
 * text the parse tree's locations refer to (the whole file), as in
 * exec_simple_query, so an error's position maps straight to the file.
 * Analysis scribbles on parse trees (plancache.c copies them for this
 * reason): a script that runs a second time (the worker retrying after a
 * lock timeout) is parsed again first.
 *
 * An error-context callback names the file, line and statement for what
 * is reported while a statement runs (a NOTICE from DROP ... IF EXISTS
 * says where it comes from); an ERROR's context is rebuilt once it is
 * caught, with the position inside the statement.  The whole call stays
 * one transaction: the caller sees all of it or none of it.
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
#include "executor/executor.h"
#include "executor/spi.h"
#include "exec_spi.h"
#include "lib/stringinfo.h"
#include "lint_refusals.h"
#include "mb/pg_wchar.h"
#include "miscadmin.h"
#include "parser/analyze.h"
#include "portability/instr_time.h"
#include "storage/lock.h"
#include "tcop/dest.h"
#include "tcop/pquery.h"
#include "tcop/tcopprot.h"
#include "tcop/utility.h"
#include "utils/guc.h"
#include "utils/memutils.h"
#include "utils/snapmgr.h"

/* PreventInTransactionBlock's refusal when not at top level (xact.c) */
#define FROM_FUNCTION_MSGID "%s cannot be executed from a function"
#define FROM_FUNCTION_SUFFIX " cannot be executed from a function"

/* What is reported while statement stmt of script runs. */
typedef struct StatementContext
{
	PgmScript  *script;
	int			stmt;			/* -1: none running */
	bool		between;		/* parsing and checking a big file's next piece */
} StatementContext;

/* The context line naming where statement stmt of script starts. */
static char *
statement_line(PgmScript *script, int stmt)
{
	int			line;
	int			column;

	pgm_script_position(script->file, script->stmts[stmt].start, &line, &column);
	return psprintf("migration file \"%s\", line %d, column %d: %s",
					script->file->filename, line, column,
					pgm_statement_excerpt(script, stmt));
}

static void
statement_context_callback(void *arg)
{
	StatementContext *ctx = (StatementContext *) arg;

	if (ctx->stmt < 0)
		return;
	/* nothing here may raise an error of its own */
	HOLD_INTERRUPTS();
	errcontext("%s", statement_line(ctx->script, ctx->stmt));
	RESUME_INTERRUPTS();
}

/*
 * The context of a caught error without the callback's line (the error's
 * context is rebuilt with the position inside the statement); NULL if
 * nothing is left.
 */
static char *
remove_context_line(const char *context, const char *line)
{
	size_t		llen = strlen(line);
	const char *p = context;

	if (context == NULL)
		return NULL;
	while ((p = strstr(p, line)) != NULL)
	{
		bool		at_start = p == context || p[-1] == '\n';
		bool		at_end = p[llen] == '\0' || p[llen] == '\n';

		if (at_start && at_end)
		{
			StringInfoData buf;
			size_t		before = p - context;

			initStringInfo(&buf);
			/* drop the newline on one side of it */
			if (before > 0)
				appendBinaryStringInfo(&buf, context, before - 1);
			if (p[llen] == '\n')
				appendStringInfoString(&buf, before > 0 ? p + llen : p + llen + 1);
			return buf.len > 0 ? buf.data : NULL;
		}
		p += llen;
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
	/* a cancel or a timeout is no fault of the file */
	if (edata->sqlerrcode == ERRCODE_QUERY_CANCELED)
		return edata->hint;
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
	edata->hint = psprintf(_("Put \"-- pg_migrate:no-transaction\" on the first line of migration file \"%s\" and apply it with CALL migrate_run(dir), a job or the background worker, which run such files one statement at a time."),
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
		int			line;
		int			column;

		if (positions_in_file)
		{
			/* the statement ran with its piece of the file as query text */
			if (edata->cursorpos > 0)
				offset = script->src_start +
					pgm_char_to_byte_offset(pgm_script_source(script),
											(int) file->len - script->src_start,
											edata->cursorpos);
		}
		else
		{
			/* it ran with its own text (lint's traced run) */
			char	   *sql = pgm_statement_text(script, stmt);
			int			len = st->end - st->start;

			if (edata->internalpos > 0 && edata->internalquery != NULL &&
				strcmp(edata->internalquery, sql) == 0)
				offset += pgm_char_to_byte_offset(sql, len, edata->internalpos);
			else if (edata->cursorpos > 0 && edata->internalquery == NULL)
				offset += pgm_char_to_byte_offset(sql, len, edata->cursorpos);
		}
		inner_context = remove_context_line(edata->context, statement_line(script, stmt));
		pgm_script_position(file, offset, &line, &column);

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
	{
		const char *hint = migration_hint(script, stmt, edata, hints);

		edata->hint = hint != NULL ? pstrdup(hint) : NULL;
	}
	edata->context = context.data;
	edata->cursorpos = 0;
	edata->internalpos = 0;
	edata->internalquery = NULL;
}

/*
 * Refuses what SPI refuses (_SPI_execute_plan): transaction control and COPY
 * with the client.  script.c and lint_refusals.c refuse both before
 * anything runs; this is the executor's own guard.
 */
static void
refuse_unsupported(PlannedStmt *stmt)
{
	Node	   *u = stmt->utilityStmt;

	if (u == NULL)
		return;
	if (IsA(u, TransactionStmt) ||
		(IsA(u, CopyStmt) && ((CopyStmt *) u)->filename == NULL))
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("%s is not allowed in a migration", CreateCommandName(u))));
}

/*
 * Runs one parsed statement as SPI_execute runs a one-shot plan in the
 * default read-write case (spi.c, _SPI_execute_plan and _SPI_pquery).
 * Everything it allocates goes to cxt, which the caller resets.
 */
static void
exec_statement(RawStmt *raw, const char *src, MemoryContext cxt)
{
	MemoryContext oldcontext = MemoryContextSwitchTo(cxt);
	List	   *querytrees;
	List	   *plantrees;
	ListCell   *lc;
	bool		pushed_snapshot = false;

	querytrees = pg_analyze_and_rewrite_fixedparams(raw, src, NULL, 0, NULL);
	plantrees = pg_plan_queries(querytrees, src, CURSOR_OPT_PARALLEL_OK, NULL);

	if (list_length(plantrees) > 1 ||
		(list_length(plantrees) == 1 &&
		 PlannedStmtRequiresSnapshot(linitial_node(PlannedStmt, plantrees))))
	{
		EnsurePortalSnapshotExists();
		PushActiveSnapshot(GetTransactionSnapshot());
		pushed_snapshot = true;
	}

	foreach(lc, plantrees)
	{
		PlannedStmt *stmt = lfirst_node(PlannedStmt, lc);
		DestReceiver *dest = CreateDestReceiver(DestNone);

		refuse_unsupported(stmt);
		if (pushed_snapshot)
		{
			CommandCounterIncrement();
			UpdateActiveSnapshotCommandId();
		}

		if (stmt->utilityStmt == NULL)
		{
			QueryDesc  *qdesc;

			qdesc = CreateQueryDesc(stmt, src,
									ActiveSnapshotSet() ? GetActiveSnapshot() : InvalidSnapshot,
									InvalidSnapshot, dest, NULL, NULL, 0);
			/* AFTER triggers fire at the end of the query (ExecutorFinish) */
			ExecutorStart(qdesc, 0);
			ExecutorRun(qdesc, ForwardScanDirection, 0, true);
			ExecutorFinish(qdesc);
			ExecutorEnd(qdesc);
			FreeQueryDesc(qdesc);
		}
		else
		{
			QueryCompletion qc;

			InitializeQueryCompletion(&qc);
			/* the tree stays the script's: utility commands copy what they change */
			ProcessUtility(stmt, src, true, PROCESS_UTILITY_QUERY,
						   NULL, NULL, dest, &qc);
		}
	}

	/* after an error, the transaction's abort pops it (as in spi.c) */
	if (pushed_snapshot)
		PopActiveSnapshot();

	/* the next statement sees this one's effects */
	CommandCounterIncrement();
	MemoryContextSwitchTo(oldcontext);
}

double
pgm_exec_migration(PgmScript *script, const PgmFailHints *hints)
{
	MemoryContext oldcontext = CurrentMemoryContext;
	MemoryContext stmtcxt;
	StatementContext *ctx = palloc(sizeof(StatementContext));
	ErrorContextCallback callback;
	volatile double duration_ms = 0;
	instr_time	start;

	/* analysis changed the trees of a run before: parse them again */
	if (script->executed)
		pgm_script_reparse(script);
	pgm_exec_check_script(script, hints);

	stmtcxt = AllocSetContextCreate(CurrentMemoryContext, "pg_migrate statement",
									ALLOCSET_DEFAULT_SIZES);
	ctx->script = script;
	ctx->stmt = -1;
	ctx->between = false;
	callback.callback = statement_context_callback;
	callback.arg = ctx;
	callback.previous = error_context_stack;
	error_context_stack = &callback;
	script->executed = true;

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

		for (;;)
		{
			for (i = 0; i < script->nstmts; i++)
			{
				ctx->stmt = i;
				CHECK_FOR_INTERRUPTS();
				exec_statement(script->stmts[i].raw, pgm_script_source(script), stmtcxt);
				MemoryContextReset(stmtcxt);
			}

			/* a big file's next piece: parsed now, checked like the first */
			ctx->stmt = -1;
			ctx->between = true;
			if (!pgm_script_next_piece(script, hints))
				break;
			pgm_lint_enforce(script);
			pgm_exec_check_script(script, hints);
			ctx->between = false;
		}
		ctx->between = false;
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
		int			current = ctx->stmt;

		error_context_stack = callback.previous;
		MemoryContextSwitchTo(oldcontext);
		/* the next piece's syntax error or refusal names its line already */
		if (ctx->between)
			PG_RE_THROW();
		edata = CopyErrorData();
		FlushErrorState();
		reword_not_toplevel(script, current, edata);
		pgm_decorate_error(script, current, edata, true, hints);
		ThrowErrorData(edata);
		pg_unreachable();
	}
	PG_END_TRY();

	error_context_stack = callback.previous;
	MemoryContextDelete(stmtcxt);
	return duration_ms;
}
