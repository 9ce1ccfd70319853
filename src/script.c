/*-------------------------------------------------------------------------
 *
 * script.c
 *	  Split a migration file into statements with the server's parser.
 *
 * raw_parser() handles everything a hand-written splitter gets wrong:
 * dollar quotes, nested comments, E'' strings, semicolons inside function
 * bodies.  Each RawStmt gives a byte range that starts right after the
 * previous semicolon; we move its start past blanks and comments so that
 * messages point at the line where the statement really begins.
 *
 * Parsing every pending file before anything runs means a syntax error in
 * the tenth file fails the call before the first file executes.  Files over
 * PGM_SCRIPT_WHOLE_MAX are the exception (pgm_script_parse_lazy): their
 * parse trees would take about twelve times their size, so they are parsed
 * a piece at a time as they run, each piece cut after a statement by
 * pgm_next_cut (textpos.c) and its trees freed before the next is parsed.
 * The parser checks each cut: a piece that does not parse is parsed again
 * with the rest of the file, which either parses or raises the error.
 *
 * BEGIN, START TRANSACTION, COMMIT and END are set aside as no-ops
 * (script->noops), reported by the paths that run the file.
 *
 * Cost: linear in the file.  Line numbers come from a cursor that moves
 * forward from one statement to the next (textpos.h), never from counting
 * from the start of the file again, and every loop over the file or its
 * statements checks for interrupts (the plain-C helpers cannot: they are
 * called from here, a piece at a time).
 *
 * IDENTIFICATION
 *	  src/script.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "compat.h"
#include "directives.h"
#include "commands/defrem.h"
#include "mb/pg_wchar.h"
#include "miscadmin.h"
#include "nodes/parsenodes.h"
#include "script.h"
#include "tcop/utility.h"
#include "textpos.h"

#define EXCERPT_MAX 300

/* bytes moved over between two interrupt checks */
#define SCAN_CHUNK (1024 * 1024)

/* Moves a line cursor forward to off, checking for interrupts on the way. */
static void
seek_lines(PgmLineCursor *c, const char *s, size_t off)
{
	if (off < c->line_start)
		pgm_line_cursor_init(c);
	while (off > c->off && off - c->off > SCAN_CHUNK)
	{
		pgm_line_cursor_seek(c, s, c->off + SCAN_CHUNK);
		CHECK_FOR_INTERRUPTS();
	}
	pgm_line_cursor_seek(c, s, off);
}

/* Characters in s[0, n), n at a character boundary. */
static int
count_chars(const char *s, size_t n)
{
	int			chars = 0;

	while (n > 0)
	{
		size_t		step = n;

		if (step > SCAN_CHUNK)
			step = Max(pg_mbcliplen(s, SCAN_CHUNK, SCAN_CHUNK), 1);
		chars += pg_mbstrlen_with_len(s, (int) step);
		s += step;
		n -= step;
		CHECK_FOR_INTERRUPTS();
	}
	return chars;
}

void
pgm_script_position(PgmFile *file, int offset, int *line, int *column)
{
	PgmLineCursor *c = &file->pos;
	size_t		prev_off = c->off;
	size_t		prev_line_start = c->line_start;
	size_t		off;
	size_t		from;

	Assert(file->body != NULL);
	if (offset < 0)
		offset = 0;
	if ((size_t) offset > file->len)
		offset = (int) file->len;
	off = (size_t) offset;

	seek_lines(c, file->body, off);

	/* characters from the line start: on from the last position, if on this line */
	if (c->line_start == prev_line_start && off >= prev_off)
		from = prev_off;
	else
	{
		from = c->line_start;
		file->pos_chars = 0;
	}
	file->pos_chars += count_chars(file->body + from, off - from);
	*line = c->line;
	*column = file->pos_chars + 1;
}

int
pgm_char_to_byte_offset(const char *s, int len, int pos)
{
	int			off = 0;

	while (pos > 1 && off < len)
	{
		CHECK_FOR_INTERRUPTS();
		off += pg_mblen(s + off);
		pos--;
	}
	return Min(off, len);
}

/*
 * pg_dump-style "COPY ... FROM stdin;" followed by data lines fails to parse
 * at the data; find the COPY so the error can say what really went wrong.
 * Returns the offset of "COPY" or -1.
 */
static int
find_copy_from_stdin(const char *body, int error_offset)
{
	int			i;

	for (i = error_offset - 1; i >= 0; i--)
	{
		int			j = i;

		CHECK_FOR_INTERRUPTS();
		if (body[i] != ';')
			continue;
		while (j > 0 && (body[j - 1] == ' ' || body[j - 1] == '\t'))
			j--;
		if (j >= 10 && pg_strncasecmp(body + j - 10, "from stdin", 10) == 0)
		{
			int			k = pgm_line_start(body, j - 10);

			k = pgm_skip_blank(body, k, j);
			return pg_strncasecmp(body + k, "copy", 4) == 0 ? k : -1;
		}
		return -1;
	}
	return -1;
}

/*
 * Re-raises a parser error with the file, line and column added; the text
 * parsed was file->body[start, end).
 */
static void
raise_parse_error(PgmFile *file, ErrorData *edata, const PgmFailHints *hints,
				  int start, int end)
{
	int			offset = start;
	int			line;
	int			column;
	int			copy_offset;

	if (edata->cursorpos > 0)
		offset += pgm_char_to_byte_offset(file->body + start, end - start, edata->cursorpos);
	pgm_script_position(file, offset, &line, &column);

	copy_offset = find_copy_from_stdin(file->body, offset);
	if (copy_offset >= 0)
	{
		pgm_script_position(file, copy_offset, &line, &column);
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("COPY FROM STDIN is not supported in migration file \"%s\"", file->filename),
				 errhint("Migrations run inside the server, with no client to send data. Use INSERT statements, or COPY from a file on the server."),
				 errcontext("migration file \"%s\", line %d, column %d", file->filename, line, column)));
	}

	if (edata->cursorpos > 0 && file->body[offset] == '\\')
		ereport(ERROR,
				(errcode(ERRCODE_SYNTAX_ERROR),
				 errmsg("psql meta-command in migration file \"%s\"", file->filename),
				 errhint("Migration files are run by the server as plain SQL; psql meta-commands such as \\i, \\set and \\connect are not available there."),
				 errcontext("migration file \"%s\", line %d, column %d", file->filename, line, column)));

	/* keep the parser's SQLSTATE, message and location; add where */
	edata->context = psprintf("migration file \"%s\", line %d, column %d",
							  file->filename, line, column);
	edata->hint = pstrdup(hints->fix);
	edata->cursorpos = 0;
	ThrowErrorData(edata);
	pg_unreachable();
}

/*
 * Parses file->body[start, end), end just past a semicolon or at the end of
 * the file: the byte at end is made a NUL while the parser reads.  Returns
 * the RawStmts; a syntax error is re-raised naming the file and line.  A
 * piece with a syntax error in its last statement may have been cut in the
 * wrong place (pgm_next_cut guesses): the rest of the file is then parsed
 * whole, which either parses (*end moves to the end of the file) or raises
 * the error.
 */
static List *
parse_or_raise(PgmFile *file, int start, int *end, const PgmFailHints *hints)
{
	MemoryContext oldcontext = CurrentMemoryContext;
	List	   *volatile parsetrees = NIL;
	ErrorData  *volatile edata = NULL;
	char		saved = file->body[*end];

	file->body[*end] = '\0';
	PG_TRY();
	{
		parsetrees = pgm_raw_parser(file->body + start);
	}
	PG_CATCH();
	{
		MemoryContextSwitchTo(oldcontext);
		edata = CopyErrorData();
		FlushErrorState();
	}
	PG_END_TRY();
	file->body[*end] = saved;

	if (edata == NULL)
		return parsetrees;
	if (*end < (int) file->len && edata->sqlerrcode == ERRCODE_SYNTAX_ERROR)
	{
		/* a cut can only break the piece's last statement */
		size_t		last = (size_t) start;
		size_t		at = (size_t) start;
		size_t		error_at;

		while ((at = pgm_next_cut(file->body, (size_t) *end, at, 0)) < (size_t) *end)
		{
			last = at;
			CHECK_FOR_INTERRUPTS();
		}
		error_at = (size_t) start +
			pgm_char_to_byte_offset(file->body + start, *end - start, edata->cursorpos);
		if (edata->cursorpos <= 0 || error_at >= last)
		{
			FreeErrorData(edata);
			*end = (int) file->len;
			return parse_or_raise(file, start, end, hints);
		}
	}
	raise_parse_error(file, edata, hints, start, *end);
	pg_unreachable();
	return NIL;
}

/*
 * BEGIN, START TRANSACTION, COMMIT and END are no-ops in a migration file:
 * the file already runs as one unit (or, outside a transaction block, one
 * statement at a time), and golang-migrate, which sends a file as one
 * simple query, gives the same end state when it succeeds.  With options
 * (an isolation level, READ ONLY, AND CHAIN) they would ask for something
 * this transaction cannot give; those stay refusals (lint_refusals.c), like
 * ROLLBACK and SAVEPOINT, which would change what the file does.
 */
static bool
is_noop(Node *n)
{
	TransactionStmt *t;

	if (!IsA(n, TransactionStmt))
		return false;
	t = (TransactionStmt *) n;
	switch (t->kind)
	{
		case TRANS_STMT_BEGIN:
		case TRANS_STMT_START:
			return t->options == NIL;
		case TRANS_STMT_COMMIT:
			return !t->chain;
		default:
			return false;
	}
}

/* The statement's keyword as written: BEGIN, START TRANSACTION, COMMIT, END. */
static const char *
noop_keyword(const char *s, int len)
{
	if (len >= 5 && pg_strncasecmp(s, "start", 5) == 0)
		return "START TRANSACTION";
	if (len >= 3 && pg_strncasecmp(s, "end", 3) == 0)
		return "END";
	if (len >= 6 && pg_strncasecmp(s, "commit", 6) == 0)
		return "COMMIT";
	return "BEGIN";
}

/*
 * Moves the no-ops out of the statements of the current piece into
 * script->noops.  first_piece, last_piece: the piece starts, ends the file.
 */
static void
set_aside_noops(PgmScript *script, bool first_piece, bool last_piece)
{
	int			kept = 0;
	int			i;
	int			total = script->nstmts;

	script->nnoops = 0;
	script->noops = NULL;
	for (i = 0; i < total; i++)
	{
		PgmStatement *st = &script->stmts[i];
		PgmNoop    *noop;
		bool		commit;

		CHECK_FOR_INTERRUPTS();
		if (!is_noop(st->parsetree))
		{
			if (kept != i)
				script->stmts[kept] = *st;
			kept++;
			continue;
		}
		if (script->noops == NULL)
			script->noops = palloc0(sizeof(PgmNoop) * (total - i));
		noop = &script->noops[script->nnoops++];
		noop->start = st->start;
		noop->end = st->end;
		noop->keyword = noop_keyword(script->file->body + st->start, st->end - st->start);
		commit = ((TransactionStmt *) st->parsetree)->kind == TRANS_STMT_COMMIT;
		noop->file_first = first_piece && i == 0 && !commit;
		noop->file_last = last_piece && i == total - 1 && commit;
	}
	script->nstmts = kept;
	script->noops_seen += script->nnoops;
}

static void
report_noop(PgmScript *script, PgmNoop *noop)
{
	PgmFile    *file = script->file;
	int			line;
	int			column;

	pgm_script_position(file, noop->start, &line, &column);
	ereport(NOTICE,
			(errmsg("ignoring %s on line %d of migration file \"%s\"",
					noop->keyword, line, file->filename),
			 script->no_transaction ?
			 errdetail("This file runs outside a transaction block, each statement in a transaction of its own.") :
			 errdetail("Each migration runs as one transaction: its statements before and after this one commit together."),
			 errcontext("migration file \"%s\", line %d, column %d: %s",
						file->filename, line, column,
						pnstrdup(file->body + noop->start, Min(noop->end - noop->start, 64)))));
}

/*
 * One BEGIN first and one COMMIT last, with no other no-op, wrap the whole
 * file: the same unit either way, so they are quiet.  The first BEGIN is
 * held until that is known (a big file's last piece comes later).
 */
void
pgm_script_report_noops(PgmScript *script)
{
	int			i;

	for (i = 0; i < script->nnoops; i++)
	{
		PgmNoop    *noop = &script->noops[i];

		if (noop->file_first)
		{
			script->held = *noop;
			script->holding = true;
			continue;
		}
		if (noop->file_last && script->holding && script->noops_seen == 2)
		{
			script->holding = false;
			continue;
		}
		if (script->holding)
		{
			script->holding = false;
			report_noop(script, &script->held);
		}
		report_noop(script, noop);
	}
	if (script->holding && script->next_start >= (int) script->file->len)
	{
		script->holding = false;
		report_noop(script, &script->held);
	}
}

const char *
pgm_statement_no_transaction_reason(Node *parsetree)
{
	ListCell   *lc;

	switch (nodeTag(parsetree))
	{
		case T_IndexStmt:
			return ((IndexStmt *) parsetree)->concurrent ? "CREATE INDEX CONCURRENTLY" : NULL;
		case T_DropStmt:
			return ((DropStmt *) parsetree)->concurrent ? "DROP INDEX CONCURRENTLY" : NULL;
		case T_ReindexStmt:
			foreach(lc, ((ReindexStmt *) parsetree)->params)
			{
				DefElem    *opt = (DefElem *) lfirst(lc);

				if (strcmp(opt->defname, "concurrently") == 0 && defGetBoolean(opt))
					return "REINDEX CONCURRENTLY";
			}
			return ((ReindexStmt *) parsetree)->kind == REINDEX_OBJECT_SYSTEM ||
				((ReindexStmt *) parsetree)->kind == REINDEX_OBJECT_DATABASE ?
				"REINDEX SYSTEM or DATABASE" : NULL;
		case T_VacuumStmt:
			return ((VacuumStmt *) parsetree)->is_vacuumcmd ? "VACUUM" : NULL;
		case T_ClusterStmt:
			return ((ClusterStmt *) parsetree)->relation == NULL ? "CLUSTER without a table" : NULL;
		case T_CreatedbStmt:
			return "CREATE DATABASE";
		case T_DropdbStmt:
			return "DROP DATABASE";
		case T_AlterSystemStmt:
			return "ALTER SYSTEM";
		case T_CreateTableSpaceStmt:
			return "CREATE TABLESPACE";
		case T_DropTableSpaceStmt:
			return "DROP TABLESPACE";
		case T_AlterTableStmt:
			foreach(lc, ((AlterTableStmt *) parsetree)->cmds)
			{
				AlterTableCmd *cmd = (AlterTableCmd *) lfirst(lc);

				if (cmd->subtype == AT_DetachPartition &&
					((PartitionCmd *) cmd->def)->concurrent)
					return "ALTER TABLE ... DETACH PARTITION ... CONCURRENTLY";
			}
			return NULL;
		default:
			return NULL;
	}
}

/* ---------- batched data migrations (batch.c runs them) ---------- */

static void
refuse_batch(PgmScript *script, int line, const char *message, const char *detail)
{
	ereport(ERROR,
			(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
			 errmsg("%s", message),
			 errdetail("%s", detail),
			 errhint("A batch migration holds one UPDATE, DELETE or INSERT ... SELECT that changes at most one batch of rows and skips the rows already done; put other statements in migration files of their own."),
			 errcontext("migration file \"%s\", line %d", script->file->filename, line)));
}

/* UPDATE, DELETE or INSERT ... SELECT, CTEs allowed; else its kind. */
static const char *
statement_problem(Node *tree)
{
	switch (nodeTag(tree))
	{
		case T_UpdateStmt:
		case T_DeleteStmt:
			return NULL;
		case T_InsertStmt:
			{
				InsertStmt *ins = (InsertStmt *) tree;

				if (ins->selectStmt != NULL && IsA(ins->selectStmt, SelectStmt) &&
					((SelectStmt *) ins->selectStmt)->valuesLists == NIL)
					return NULL;
				return "INSERT without a SELECT";
			}
		default:
			return GetCommandTagName(CreateCommandTag(tree));
	}
}

/*
 * With the batch marker, the file must hold exactly one UPDATE, DELETE or
 * INSERT ... SELECT: an ERROR naming the file and line otherwise, found
 * before anything runs (validate reports it too); marks the script a
 * batched data migration.
 */
static void
classify_batch(PgmScript *script)
{
	PgmFile    *file = script->file;
	int			line = pgm_directive_batch(file->body, file->len);
	const char *problem;

	if (line == 0)
		return;
	/* BEGIN, COMMIT and END are set aside as no-ops (script.c) */
	if (script->nnoops > 0)
	{
		int			column;

		pgm_script_position(file, script->noops[0].start, &line, &column);
		refuse_batch(script, line,
			   psprintf("batch migration file \"%s\" holds transaction control", file->filename),
			   "Each batch of a batch migration is a transaction of its own, or runs in the caller's transaction.");
	}
	if (script->nstmts == 0)
		refuse_batch(script, line,
			   psprintf("batch migration file \"%s\" holds no statement", file->filename),
			   "The batch marker needs the statement it runs.");
	if (script->nstmts > 1)
		refuse_batch(script, script->stmts[1].line,
			   psprintf("batch migration file \"%s\" holds more than one statement", file->filename),
			   "A batch migration runs its one statement again and again until it changes no row.");
	problem = statement_problem(script->stmts[0].parsetree);
	if (problem != NULL)
		refuse_batch(script, script->stmts[0].line,
			   psprintf("batch migration file \"%s\" holds %s", file->filename, problem),
			   "The statement of a batch migration must change rows: UPDATE, DELETE or INSERT ... SELECT.");
	script->batch = true;
	script->batch_line = line;
}

/*
 * A repeatable migration runs in one transaction: its history is one row
 * per run, with no progress to resume from (pgmigrate.progress is keyed by
 * version).  Refused before anything runs, naming the line.
 */
static void
refuse_repeatable(PgmScript *script)
{
	PgmFile    *file = script->file;

	if (!file->repeatable || !(script->batch || script->no_transaction))
		return;
	ereport(ERROR,
			(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
			 script->batch ?
			 errmsg("repeatable migration file \"%s\" cannot be a batch migration", file->filename) :
			 errmsg("repeatable migration file \"%s\" cannot run outside a transaction block", file->filename),
			 script->batch ?
			 errdetail("pg_migrate runs a repeatable migration in one transaction.") :
			 errdetail("It holds %s; pg_migrate runs a repeatable migration in one transaction.",
					   script->no_transaction_reason),
			 errhint("Put the statement in a versioned migration file (V<version>__<description>.sql)."),
			 errcontext("migration file \"%s\", line %d", file->filename,
						script->batch ? script->batch_line : script->no_transaction_line)));
}

/* Decides whether the file must run outside a transaction block. */
static void
classify_transaction(PgmScript *script)
{
	int			line = pgm_file_no_transaction(script->file);
	int			i;

	classify_batch(script);

	if (line > 0)
	{
		script->no_transaction = true;
		script->no_transaction_reason = "a no-transaction marker";
		script->no_transaction_line = line;
		return;
	}
	for (i = 0; i < script->nstmts; i++)
	{
		const char *reason;

		CHECK_FOR_INTERRUPTS();
		reason = pgm_statement_no_transaction_reason(script->stmts[i].parsetree);

		if (reason != NULL)
		{
			script->no_transaction = true;
			script->no_transaction_reason = reason;
			script->no_transaction_line = script->stmts[i].line;
			return;
		}
	}
}

/* Classifies the script: batch, no-transaction, and what a repeatable refuses. */
static void
classify(PgmScript *script)
{
	classify_transaction(script);
	refuse_repeatable(script);
}

/*
 * Parses file->body[start, end) into script's statements (allocated in the
 * current memory context), with their no-ops set aside.
 */
static void
parse_piece(PgmScript *script, int start, int end, const PgmFailHints *hints)
{
	PgmFile    *file = script->file;
	List	   *parsetrees;
	ListCell   *lc;
	int			n = 0;

	parsetrees = parse_or_raise(file, start, &end, hints);
	script->stmts = palloc0(sizeof(PgmStatement) * Max(list_length(parsetrees), 1));

	/* statements come in file order: each line is counted on from the last */
	foreach(lc, parsetrees)
	{
		RawStmt    *raw = lfirst_node(RawStmt, lc);
		size_t		loc = (size_t) start + raw->stmt_location;
		size_t		stop = raw->stmt_len > 0 ? loc + raw->stmt_len : (size_t) end;
		PgmStatement *st = &script->stmts[n++];

		CHECK_FOR_INTERRUPTS();
		st->start = (int) pgm_skip_blank(file->body, loc, stop);
		st->end = (int) pgm_trim_end(file->body, st->start, stop);
		seek_lines(&script->lines, file->body, st->start);
		st->line = script->lines.line;
		st->parsetree = raw->stmt;
		st->raw = raw;
	}
	script->nstmts = n;
	script->src_start = start;
	script->next_start = end;
	set_aside_noops(script, start == 0, end >= (int) file->len);
}

static PgmScript *
script_new(PgmFile *file)
{
	PgmScript  *script = palloc0(sizeof(PgmScript));

	Assert(file->body != NULL);
	script->file = file;
	pgm_line_cursor_init(&script->lines);
	return script;
}

PgmScript *
pgm_script_parse(PgmFile *file, const PgmFailHints *hints)
{
	PgmScript  *script = script_new(file);

	parse_piece(script, 0, (int) file->len, hints);
	classify(script);
	return script;
}

PgmScript *
pgm_script_parse_lazy(PgmFile *file, const PgmFailHints *hints)
{
	PgmScript  *script;
	MemoryContext oldcontext;

	if (file->len <= PGM_SCRIPT_WHOLE_MAX ||
		pgm_file_no_transaction(file) > 0 ||
		pgm_directive_batch(file->body, file->len) > 0)
		return pgm_script_parse(file, hints);

	script = script_new(file);
	script->piececxt = AllocSetContextCreate(CurrentMemoryContext,
											 "pg_migrate migration piece",
											 ALLOCSET_DEFAULT_SIZES);
	oldcontext = MemoryContextSwitchTo(script->piececxt);
	parse_piece(script, 0,
				(int) pgm_next_cut(file->body, file->len, 0, PGM_SCRIPT_PIECE), hints);
	MemoryContextSwitchTo(oldcontext);
	classify(script);

	/* run statement by statement at top level: every statement is needed */
	if (script->no_transaction)
	{
		MemoryContextDelete(script->piececxt);
		pfree(script);
		return pgm_script_parse(file, hints);
	}
	return script;
}

bool
pgm_script_next_piece(PgmScript *script, const PgmFailHints *hints)
{
	PgmFile    *file = script->file;
	MemoryContext oldcontext;
	int			start = script->next_start;

	if (start >= (int) file->len || script->piececxt == NULL)
		return false;
	MemoryContextReset(script->piececxt);
	script->stmts = NULL;
	script->nstmts = 0;
	oldcontext = MemoryContextSwitchTo(script->piececxt);
	parse_piece(script, start,
				(int) pgm_next_cut(file->body, file->len, start, PGM_SCRIPT_PIECE), hints);
	MemoryContextSwitchTo(oldcontext);
	return true;
}

const char *
pgm_script_source(const PgmScript *script)
{
	return script->file->body + script->src_start;
}

void
pgm_script_reparse(PgmScript *script)
{
	static const PgmFailHints hints = {
		.fix = "The migration file parsed before; it must not change while it is applied.",
	};
	PgmScript  *again;

	if (script->piececxt != NULL)
	{
		MemoryContextDelete(script->piececxt);
		script->piececxt = NULL;
		again = pgm_script_parse_lazy(script->file, &hints);
	}
	else
		again = pgm_script_parse(script->file, &hints);
	*script = *again;
}

char *
pgm_script_transaction_problem(const PgmScript *script)
{
	if (!script->no_transaction)
		return NULL;
	return psprintf("cannot run inside a transaction block: it holds %s (line %d); migrate_apply refuses it, migrate_apply_async and the background worker run it statement by statement",
					script->no_transaction_reason, script->no_transaction_line);
}

char *
pgm_statement_text(const PgmScript *script, int i)
{
	const PgmStatement *st = &script->stmts[i];

	return pnstrdup(script->file->body + st->start, st->end - st->start);
}

char *
pgm_statement_excerpt(const PgmScript *script, int i)
{
	const PgmStatement *st = &script->stmts[i];
	const char *s = script->file->body + st->start;
	int			len = st->end - st->start;
	int			clip = pg_mbcliplen(s, len, EXCERPT_MAX);
	StringInfoData buf;
	int			k;
	bool		space = false;

	initStringInfo(&buf);
	for (k = 0; k < clip; k++)
	{
		char		c = s[k];

		if (c == '\n' || c == '\r' || c == '\t' || c == ' ')
		{
			space = true;
			continue;
		}
		if (space && buf.len > 0)
			appendStringInfoChar(&buf, ' ');
		space = false;
		appendStringInfoChar(&buf, c);
	}
	if (clip < len)
		appendStringInfoString(&buf, " ...");
	return buf.data;
}
