/*-------------------------------------------------------------------------
 *
 * lint_trace.c
 *	  The traced dry run: what the pending migrations really lock and
 *	  rewrite on this database.
 *
 * The migrations run as migrate_apply would run them (SPI, as the calling
 * role) inside an internal subtransaction that is rolled back at the end,
 * whatever happens: nothing persists.  After each statement the lock
 * manager is asked for this backend's relation locks (GetLockStatusData,
 * the data behind pg_locks, without SQL); the locks new since the previous
 * statement are what the statement took.  A table was rewritten when its
 * relfilenode changed across the statement.
 *
 * The trace really takes those locks on the live tables, for as long as
 * the statements run: set lock_timeout in the session first.  Tables
 * created by the traced migrations give no finding.
 *
 * IDENTIFICATION
 *	  src/lint_trace.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "access/transam.h"
#include "access/xact.h"
#include "catalog/namespace.h"
#include "catalog/pg_class.h"
#include "errctx.h"
#include "executor/spi.h"
#include "lint_refusals.h"
#include "lint_rules.h"
#include "lint_suppress.h"
#include "lint_trace.h"
#include "miscadmin.h"
#include "portability/instr_time.h"
#include "storage/lock.h"
#include "utils/lsyscache.h"
#include "utils/resowner.h"
#include "utils/syscache.h"

#define PGM_RULE_LOCK		"lock"
#define PGM_RULE_REWRITE	"rewrite"

/* Strongest relation lock this backend holds on each relation */
typedef struct HeldLock
{
	Oid			relid;
	LOCKMODE	mode;
} HeldLock;

typedef struct Before
{
	Oid			relid;
	Oid			relfilenode;
} Before;

typedef struct Trace
{
	PgmLintCatalog *cat;
	PgmScript  *script;
	int			i;
	List	   *file_ignores;
	List	  **findings;
} Trace;

static List *
held_locks(void)
{
	LockData   *data = GetLockStatusData();
	List	   *held = NIL;
	int			k;

	for (k = 0; k < data->nelements; k++)
	{
		LockInstanceData *inst = &data->locks[k];
		LOCKMODE	mode;

		if (inst->pid != MyProcPid ||
			inst->locktag.locktag_type != LOCKTAG_RELATION ||
			inst->locktag.locktag_field1 != MyDatabaseId)
			continue;
		for (mode = MaxLockMode; mode > NoLock; mode--)
		{
			if (inst->holdMask & LOCKBIT_ON(mode))
			{
				HeldLock   *h = palloc(sizeof(HeldLock));

				h->relid = inst->locktag.locktag_field2;
				h->mode = mode;
				held = lappend(held, h);
				break;
			}
		}
	}
	return held;
}

static LOCKMODE
mode_in(List *held, Oid relid)
{
	ListCell   *lc;
	LOCKMODE	mode = NoLock;

	foreach(lc, held)
	{
		HeldLock   *h = (HeldLock *) lfirst(lc);

		if (h->relid == relid)
			mode = Max(mode, h->mode);
	}
	return mode;
}

static Oid
relfilenode_of(Oid relid)
{
	HeapTuple	tup = SearchSysCache1(RELOID, ObjectIdGetDatum(relid));
	Oid			node;

	if (!HeapTupleIsValid(tup))
		return InvalidOid;
	node = ((Form_pg_class) GETSTRUCT(tup))->relfilenode;
	ReleaseSysCache(tup);
	return node;
}

static void
add(Trace *tr, const char *rule, const char *severity, char *message, const char *hint)
{
	PgmFile    *file = tr->script->file;
	PgmProblem *p;

	if (pgm_lint_rule_in(tr->file_ignores, rule) ||
		pgm_lint_rule_in(pgm_lint_statement_ignores(tr->script, tr->i), rule))
		severity = PGM_SEVERITY_IGNORED;
	p = pgm_problem_add(tr->findings, file->filename, !file->repeatable, file->version, severity, message);
	p->rule = rule;
	p->sqlstate = ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE;
	p->hint = hint;
	pgm_script_position(file, tr->script->stmts[tr->i].start, &p->line, &p->column);
	p->excerpt = pgm_statement_excerpt(tr->script, tr->i);
}

static const char *
lock_severity(const PgmLintTable *t, LOCKMODE mode)
{
	if (mode < ShareLock)
		return t->created ? NULL : PGM_SEVERITY_INFO;
	return pgm_lint_table_severity(t, PGM_SEVERITY_ERROR, PGM_SEVERITY_WARNING);
}

static const char *
lock_hint(LOCKMODE mode)
{
	if (mode == AccessExclusiveLock)
		return _("Every query of the table waits until the migration commits; keep the migration short, with SET lock_timeout first.");
	if (mode >= ShareLock)
		return _("Writes to the table wait until the migration commits; keep the migration short, with SET lock_timeout first.");
	return _("Other schema changes and VACUUM of the table wait; reads and writes go on.");
}

/* A statement that cannot run in a transaction block: documented lock. */
static void
untraced(Trace *tr, const char *kind, LOCKMODE mode, RangeVar *rv)
{
	PgmLintTable t;
	const char *sev;

	if (rv == NULL || mode == NoLock)
	{
		add(tr, PGM_RULE_LOCK, PGM_SEVERITY_INFO,
			psprintf(_("%s was not traced: it cannot run inside a transaction block"), kind),
			_("Statements that cannot run in a transaction block run only in the background worker or migrate_apply_async."));
		return;
	}
	pgm_lint_table(tr->cat, rv, &t);
	if ((sev = lock_severity(&t, mode)) == NULL)
		return;
	add(tr, PGM_RULE_LOCK, sev,
		psprintf(_("%s was not traced (it cannot run inside a transaction block): PostgreSQL documents a %s lock on %s for it"),
				 kind, pgm_lint_lock_mode_name(mode), pgm_lint_describe(&t)),
		lock_hint(mode));
}

/* Runs statement tr->i and reports its new locks and rewrites. */
static void
trace_statement(Trace *tr, List **held)
{
	Node	   *tree = tr->script->stmts[tr->i].parsetree;
	List	   *before = NIL;
	List	   *after;
	ListCell   *lc;
	instr_time	start;
	instr_time	duration;
	double		ms;
	char	   *sql;
	int			rc;

	foreach(lc, pgm_lint_statement_tables(tree))
	{
		Before	   *b = palloc(sizeof(Before));

		b->relid = RangeVarGetRelid((RangeVar *) lfirst(lc), NoLock, true);
		b->relfilenode = OidIsValid(b->relid) ? relfilenode_of(b->relid) : InvalidOid;
		if (OidIsValid(b->relfilenode))
			before = lappend(before, b);
	}

	sql = pgm_statement_text(tr->script, tr->i);
	INSTR_TIME_SET_CURRENT(start);
	rc = SPI_execute(sql, false, 0);
	INSTR_TIME_SET_CURRENT(duration);
	INSTR_TIME_SUBTRACT(duration, start);
	ms = INSTR_TIME_GET_MILLISEC(duration);
	if (rc < 0)
		elog(ERROR, "SPI_execute failed: %s", SPI_result_code_string(rc));
	SPI_freetuptable(SPI_tuptable);
	pgm_lint_note_created(tr->cat, tree);

	after = held_locks();
	foreach(lc, after)
	{
		HeldLock   *h = (HeldLock *) lfirst(lc);
		PgmLintTable t;
		const char *sev;
		char		relkind;

		if (h->relid < FirstNormalObjectId || h->mode <= mode_in(*held, h->relid) ||
			h->mode < mode_in(after, h->relid) || h->mode < ShareUpdateExclusiveLock)
			continue;
		relkind = get_rel_relkind(h->relid);
		if (relkind != RELKIND_RELATION && relkind != RELKIND_PARTITIONED_TABLE &&
			relkind != RELKIND_MATVIEW)
			continue;
		pgm_lint_table_oid(tr->cat, h->relid, &t);
		if ((sev = lock_severity(&t, h->mode)) == NULL)
			continue;
		add(tr, PGM_RULE_LOCK, sev,
			psprintf(_("%s lock on %s, held until the migration commits; the statement took %.3f ms"),
					 pgm_lint_lock_mode_name(h->mode), pgm_lint_describe(&t), ms),
			lock_hint(h->mode));
	}

	foreach(lc, before)
	{
		Before	   *b = (Before *) lfirst(lc);
		PgmLintTable t;
		const char *sev;

		if (relfilenode_of(b->relid) == b->relfilenode)
			continue;
		pgm_lint_table_oid(tr->cat, b->relid, &t);
		if ((sev = pgm_lint_table_severity(&t, PGM_SEVERITY_ERROR, PGM_SEVERITY_WARNING)) == NULL)
			continue;
		add(tr, PGM_RULE_REWRITE, sev,
			psprintf(_("%s was rewritten, with its indexes; the statement took %.3f ms"),
					 pgm_lint_describe(&t), ms),
			_("A rewrite holds an ACCESS EXCLUSIVE lock for as long as it copies the table: see the static findings of this statement for the recipe without one."));
	}
	list_free_deep(*held);
	*held = after;
}

static void
trace_scripts(Trace *tr, PgmScript **scripts, int nscripts)
{
	List	   *held = held_locks();
	PgmFileContext ctx;
	int			k;

	for (k = 0; k < nscripts; k++)
	{
		PgmScript  *script = scripts[k];

		/* a file with a refusal never runs; neither do the next ones */
		if (pgm_lint_script(script) != NIL)
			return;
		tr->script = script;
		tr->file_ignores = pgm_lint_file_ignores(script);
		pgm_errctx_push(&ctx, script->file->filename);
		for (tr->i = 0; tr->i < script->nstmts; tr->i++)
		{
			Node	   *tree = script->stmts[tr->i].parsetree;
			const char *kind;
			LOCKMODE	mode;
			RangeVar   *rv;
			int			line;
			int			column;

			CHECK_FOR_INTERRUPTS();
			pgm_script_position(script->file, script->stmts[tr->i].start, &line, &column);
			pgm_errctx_at(&ctx, line, column, pgm_statement_excerpt(script, tr->i));
			kind = pgm_lint_untraceable(tree, &mode, &rv);
			if (kind != NULL)
				untraced(tr, kind, mode, rv);
			else
				trace_statement(tr, &held);
		}
		pgm_errctx_pop(&ctx);
	}
}

void
pgm_lint_trace(PgmLintCatalog *cat, PgmScript **scripts, int nscripts, List **findings)
{
	MemoryContext oldcontext = CurrentMemoryContext;
	ResourceOwner oldowner = CurrentResourceOwner;
	Trace		tr;

	MemSet(&tr, 0, sizeof(tr));
	tr.cat = cat;
	tr.findings = findings;

	BeginInternalSubTransaction(NULL);
	MemoryContextSwitchTo(oldcontext);
	PG_TRY();
	{
		trace_scripts(&tr, scripts, nscripts);
	}
	PG_CATCH();
	{
		ErrorData  *edata;

		MemoryContextSwitchTo(oldcontext);
		edata = CopyErrorData();
		FlushErrorState();
		RollbackAndReleaseCurrentSubTransaction();
		MemoryContextSwitchTo(oldcontext);
		CurrentResourceOwner = oldowner;
		ReThrowError(edata);
	}
	PG_END_TRY();
	/* a dry run: nothing it did stays */
	RollbackAndReleaseCurrentSubTransaction();
	MemoryContextSwitchTo(oldcontext);
	CurrentResourceOwner = oldowner;
}
