/*-------------------------------------------------------------------------
 *
 * apply_worker.c
 *	  Apply a folder from a background worker, one commit per migration.
 *
 * The function path (apply.c) is all-or-nothing inside the caller's
 * transaction.  A worker has no caller: each migration commits on its own,
 * together with its history row and the schema_migrations update, so a big
 * folder never holds every lock at once and a failure keeps what came before.
 * The unit of work is pg_cron's: SetCurrentStatementStartTimestamp,
 * StartTransactionCommand, a snapshot, SPI, CommitTransactionCommand.
 *
 * On failure the migration's transaction rolls back, the history gets a
 * "failed" row with the error, and schema_migrations is set dirty at that
 * version (golang-migrate's contract).  The migration advisory lock is held
 * session-scoped for the whole run and given back on every way out of it,
 * errors included, so migrate_apply and golang-migrate wait only while a
 * run lasts.
 *
 * A query cancel stops the run.  For a job (migrate_cancel) the run ends as
 * canceled and the job's row says so; for the scheduler (opts->record_cancel)
 * the cancel is the migration's failure, recorded like any other, and the
 * scheduler runs the folder again at its next look even though no file
 * changed.  Either way the cancel is logged.
 *
 * No-transaction files
 * --------------------
 * Files that cannot run in a transaction block run one statement per
 * transaction command with top-level semantics (exec_toplevel.c), in this
 * protocol:
 *
 * - Progress (pgmigrate.progress, progress.c) is written in the last
 *   transaction of each statement, before it commits, and the last
 *   statement's transaction records the migration applied instead: a
 *   statement and the record that it ran commit together.  CREATE INDEX
 *   CONCURRENTLY marks its index valid, DROP INDEX CONCURRENTLY drops it and
 *   DETACH PARTITION CONCURRENTLY finalizes in that last transaction, and
 *   other statements have a single transaction; so a restart never finds a
 *   statement done but not recorded, and a retry never runs it twice.  The
 *   bookkeeping in that transaction runs with the settings the session had
 *   before the migration, not the migration's (pgm_session_enter_saved).
 * - A retry resumes after the recorded statements, validated before use
 *   (progress.c): a count out of range is refused, never used as an index.
 *   The settings the skipped statements made (SET, SET ROLE) are made again
 *   first, so the statements that follow run as they would have.
 * - A retry verifies the statement it resumes at where its effect is
 *   visible, and counts it done when it already took effect (by a hand
 *   repair, or by an attempt of an older version of this file, which wrote
 *   progress after the commit): CREATE INDEX CONCURRENTLY whose index exists
 *   and is valid, DROP INDEX CONCURRENTLY whose indexes are gone, DETACH
 *   PARTITION CONCURRENTLY whose partition is detached.  A partition left
 *   pending detach by an interrupted DETACH PARTITION CONCURRENTLY is
 *   finalized instead of detached again, on any run.
 * - An index a failed CREATE INDEX CONCURRENTLY (or REINDEX CONCURRENTLY)
 *   left INVALID is found by OID, whatever its name, and dropped right
 *   after the failure, before any retry; an INVALID index already named
 *   like the one a CREATE INDEX CONCURRENTLY builds is dropped before it
 *   runs.
 * - Settings the migration changes are put back when it ends, succeeded or
 *   not (pgm_session_restore): the next migration starts from the session's.
 *
 * The window that remains: work a statement commits before its own last
 * transaction.  A restart there finds it undone or redone harmlessly,
 * except:
 * - CREATE INDEX CONCURRENTLY interrupted by a restart (not an error) leaves
 *   its INVALID index; the retry drops it if the statement names the index,
 *   but an unnamed one stays, and the retry builds ..._idx1 beside it.
 * - REINDEX CONCURRENTLY interrupted by a restart leaves its ..._ccnew or
 *   ..._ccold indexes INVALID; VACUUM, CLUSTER and REINDEX of several tables
 *   keep what they finished and do it again; ALTER SYSTEM has written its
 *   file; CREATE or DROP DATABASE and TABLESPACE may leave files behind.
 * None of these records a statement done that did not run.
 *
 * Memory: a context per run, deleted at its end; plans of top-level
 * statements in a context reset after each statement.
 *
 * IDENTIFICATION
 *	  src/apply_worker.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xact.h"
#include "apply.h"
#include "apply_worker.h"
#include "batch.h"
#include "catalog/index.h"
#include "catalog/namespace.h"
#include "catalog/partition.h"
#include "catalog/pg_class.h"
#include "catalog/pg_inherits.h"
#include "exec_spi.h"
#include "exec_toplevel.h"
#include "executor/spi.h"
#include "folder.h"
#include "format.h"
#include "history.h"
#include "lint.h"
#include "lib/stringinfo.h"
#include "lock.h"
#include "miscadmin.h"
#include "nodes/parsenodes.h"
#include "parser/parser.h"
#include "pgstat.h"
#include "plan.h"
#include "portability/instr_time.h"
#include "progress.h"
#include "script.h"
#include "storage/latch.h"
#include "tcop/tcopprot.h"
#include "unit.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/snapmgr.h"
#include "utils/wait_event.h"

typedef struct RunState
{
	const PgmRunOptions *opts;
	PgmRunResult *result;
	MemoryContext cxt;
	PgmPlan    *plan;
	PgmFailHints hints;
	int			npending;
	PgmScript **pending;
	bool	   *retrying;		/* pending[k] failed before: this is a retry */
	PgmFile    *failed_file;	/* set when a file failed before running */
	ErrorData  *failed_error;
	ErrorData  *end_error;		/* what ended the run, for in_session */
	PgmLint    *lint;			/* pg_migrate.lint or the caller's lint */
	bool		busy;			/* holds the worker's busy flag (lock.h) */
} RunState;

typedef struct ParseArgs
{
	RunState   *rs;
	PgmFile    *file;
	bool		retrying;
} ParseArgs;

static void
parse_pending(void *arg)
{
	ParseArgs  *a = (ParseArgs *) arg;

	PgmScript  *script = pgm_script_parse_lazy(a->file, &a->rs->hints);

	pgm_lint_enforce(script);
	pgm_lint_check(a->rs->lint, script);
	a->rs->pending[a->rs->npending] = script;
	a->rs->retrying[a->rs->npending] = a->retrying;
	a->rs->npending++;
}

/*
 * Under the lock: the shared preparation step (plan.c), the gate, adoption,
 * and parsing what is pending.  One transaction; errors propagate, except a
 * file that fails to parse, which is remembered as that file's failure.
 */
static void
prepare_run(RunState *rs)
{
	PgmPlanOptions defaults;
	const PgmPlanOptions *opts = rs->opts->plan;
	PgmPlan    *plan;
	PgmHistoryWriter writer;
	int			k;

	if (opts == NULL)
	{
		memset(&defaults, 0, sizeof(defaults));
		opts = &defaults;
	}
	pgm_unit_begin();
	MemoryContextSwitchTo(rs->cxt);
	/* a format argument holds for one transaction: this one reads the folder */
	pgm_format_argument(opts->format);
	plan = rs->plan = pgm_plan_prepare(rs->opts->dir, PGM_LOCK_SESSION);
	pgm_plan_check(plan, opts);
	rs->lint = pgm_lint_start(opts->lint);

	pgm_history_writer_init(&writer, rs->opts->dir, rs->opts->applied_by);
	pgm_plan_record_adoption(plan, &writer);

	rs->pending = palloc0(sizeof(PgmScript *) * Max(pgm_plan_count(plan), 1));
	rs->retrying = palloc0(sizeof(bool) * Max(pgm_plan_count(plan), 1));
	for (k = 0; k < pgm_plan_count(plan); k++)
	{
		PgmPlanItem *item = pgm_plan_item(plan, k);
		ParseArgs	args = {rs, item->file, item->state == PGM_STATE_FAILED};

		if (!pgm_plan_item_runs(item, opts))
		{
			if (item->file != NULL)
				pgm_file_release(item->file);
			continue;
		}
		/* a file that does not parse fails here, as its own failure */
		rs->failed_error = pgm_try_subxact(parse_pending, &args);
		if (rs->failed_error != NULL)
		{
			rs->failed_file = item->file;
			break;
		}
	}

	/* nothing to run: a missing table is recreated from the history */
	if (rs->npending == 0 && rs->failed_file == NULL)
		pgm_plan_track_flush(plan);

	pgm_unit_end();
}

/* "migration 3 \"name\"", or "repeatable migration \"name\"", for messages. */
static char *
migration_label(const PgmFile *file)
{
	if (file->repeatable)
		return psprintf("repeatable migration \"%s\"", file->name);
	return psprintf("migration " INT64_FORMAT " \"%s\"", file->version, file->name);
}

/* The whole error, with file, line and hint, goes to the server log. */
static void
log_error(ErrorData *edata)
{
	edata->elevel = LOG;
	edata->output_to_client = false;
	ThrowErrorData(edata);
}

/* Records a failed migration: history row, the tool's table; logs it. */
static void
record_failure(RunState *rs, PgmFile *file, ErrorData *edata, bool log)
{
	PgmHistoryWriter writer;
	char	   *line = pgm_error_line(edata);

	pgm_unit_begin();
	pgm_history_writer_init(&writer, rs->opts->dir, rs->opts->applied_by);
	pgm_history_record(&writer, PGM_HIST_FAILED, file->version, file->name,
					   file, -1, line);
	rs->plan->tracked.error = line;	/* Prisma keeps it in its logs */
	pgm_track_failed(&rs->plan->tracked, file->version);
	pgm_unit_end();

	rs->result->failed = true;
	rs->result->error = line;
	rs->end_error = edata;
	if (log && !rs->opts->in_session)
		log_error(edata);
}

/*
 * A migration was canceled: logged; for the scheduler also recorded as its
 * failure, which the next run retries.
 */
static void
record_cancel(RunState *rs, PgmFile *file, ErrorData *edata)
{
	rs->result->canceled = true;
	if (rs->opts->record_cancel)
		record_failure(rs, file, edata, false);
	else
		rs->result->error = pgm_error_line(edata);
	rs->end_error = edata;
	if (rs->opts->in_session)
		return;					/* the caller raises the cancel itself */

	ereport(LOG,
			(errmsg("%s was canceled", migration_label(file)),
			 rs->opts->record_cancel ?
			 errdetail("What it did since its last commit rolled back; it is recorded as failed and the next run retries it. %s",
					   rs->result->error) :
			 errdetail("What it did since its last commit rolled back. %s",
					   rs->result->error)));
}

/* The end of a migration that failed for good: canceled or failed. */
static bool
end_failure(RunState *rs, PgmFile *file, ErrorData *edata)
{
	if (edata->sqlerrcode == ERRCODE_QUERY_CANCELED)
		record_cancel(rs, file, edata);
	else
		record_failure(rs, file, edata, true);
	return false;
}

static void
log_applied(RunState *rs, PgmFile *file, double ms)
{
	if (rs->opts->in_session)
		ereport(NOTICE,
				(errmsg("applied %s in %.3f ms", migration_label(file), ms)));
	ereport(LOG,
			(errmsg("applied %s in %.3f ms", migration_label(file), ms),
			 errdetail("Migration file \"%s\" in folder \"%s\".", file->filename,
					   rs->opts->dir)));
}

/*
 * In the migration's own transaction: its history row and the tool's
 * table, by the same rule as the function path (track.h).
 */
static void
record_applied(RunState *rs, PgmFile *file, double ms)
{
	PgmHistoryWriter writer;

	pgm_history_writer_init(&writer, rs->opts->dir, rs->opts->applied_by);
	pgm_history_record(&writer, PGM_HIST_APPLIED, file->version, file->name,
					   file, ms, NULL);
	pgm_plan_applied(rs->plan, file);
	pgm_plan_track_flush(rs->plan);
}

static void
backoff(int attempt)
{
	long		ms = Min(100L << Min(attempt, 10), 10000L);

	(void) WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH,
					 ms, PG_WAIT_EXTENSION);
	ResetLatch(MyLatch);
	CHECK_FOR_INTERRUPTS();
}

/* A lock timeout with retries left: logged, waited out; true to retry. */
static bool
retry_lock_timeout(RunState *rs, ErrorData *edata, int attempt, PgmFile *file)
{
	if (edata->sqlerrcode != ERRCODE_LOCK_NOT_AVAILABLE ||
		attempt >= rs->opts->lock_retries)
		return false;
	ereport(LOG,
			(errmsg("%s timed out waiting for a lock; retrying (%d of %d)",
					migration_label(file), attempt + 1, rs->opts->lock_retries)));
	backoff(attempt);
	return true;
}

/* One transactional migration: statements, history row, the tool's table. */
static bool
run_transactional(RunState *rs, PgmScript *script)
{
	volatile int attempt;

	for (attempt = 0;; attempt++)
	{
		volatile double ms = 0;
		ErrorData  *volatile edata = NULL;

		PG_TRY();
		{
			pgm_unit_begin();
			pgstat_report_activity(STATE_RUNNING, script->file->filename);
			pgm_plan_begin(rs->plan, script->file);
			ms = pgm_exec_migration(script, &rs->hints);
			record_applied(rs, script->file, ms);
			pgm_unit_end();
		}
		PG_CATCH();
		{
			edata = pgm_unit_catch(rs->cxt);
		}
		PG_END_TRY();

		MemoryContextSwitchTo(rs->cxt);
		if (edata == NULL)
		{
			log_applied(rs, script->file, ms);
			return true;
		}
		if (!retry_lock_timeout(rs, edata, attempt, script->file))
			return end_failure(rs, script->file, edata);
	}
}

/* ---------- no-transaction migrations ---------- */

/* What a no-transaction migration's run needs from one statement to the next. */
typedef struct NoXact
{
	RunState   *rs;
	PgmScript  *script;
	PgmSessionSettings *settings;	/* the session's, before the migration */
	MemoryContext stmtcxt;		/* plans; reset after each statement */
	List	   *created;		/* relations the current statement created */
	instr_time	start;
} NoXact;

static double
elapsed_ms(NoXact *nx)
{
	instr_time	elapsed;

	INSTR_TIME_SET_CURRENT(elapsed);
	INSTR_TIME_SUBTRACT(elapsed, nx->start);
	return INSTR_TIME_GET_MILLISEC(elapsed);
}

/*
 * In the current transaction, with the session's own settings: the first
 * done statements took effect.  When that is all of them the migration is
 * recorded applied and its progress forgotten.
 */
static void
record_done(NoXact *nx, int done)
{
	PgmFile    *file = nx->script->file;
	int			nestlevel = pgm_session_enter_saved(nx->settings);
	int			rc;

	PushActiveSnapshot(GetTransactionSnapshot());
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	if (done == nx->script->nstmts)
	{
		record_applied(nx->rs, file, elapsed_ms(nx));
		pgm_progress_clear(file->version, PGM_DIRECTION_UP);
	}
	else
		pgm_progress_write(file, PGM_DIRECTION_UP, done);
	rc = SPI_finish();
	if (rc != SPI_OK_FINISH)
		elog(ERROR, "SPI_finish failed: %s", SPI_result_code_string(rc));
	PopActiveSnapshot();
	AtEOXact_GUC(true, nestlevel);
}

/* record_done in a transaction of its own; errors propagate. */
static void
record_done_xact(NoXact *nx, int done)
{
	SetCurrentStatementStartTimestamp();
	StartTransactionCommand();
	record_done(nx, done);
	CommitTransactionCommand();
	MemoryContextSwitchTo(nx->rs->cxt);
}

/*
 * Runs SQL of our own with top-level semantics in its own transaction;
 * with done > 0, records that many statements done in its last
 * transaction, as for a statement of the file.
 */
static void
run_toplevel_sql(NoXact *nx, const char *sql, int done)
{
	List	   *raws;

	SetCurrentStatementStartTimestamp();
	StartTransactionCommand();
	MemoryContextSwitchTo(nx->stmtcxt);
	raws = pg_parse_query(sql);
	pgm_exec_toplevel(linitial_node(RawStmt, raws), sql, nx->stmtcxt, NULL);
	if (done > 0)
		record_done(nx, done);
	CommitTransactionCommand();
	MemoryContextSwitchTo(nx->rs->cxt);
	MemoryContextReset(nx->stmtcxt);
}

static char *
qualified_relname(Oid relid)
{
	return quote_qualified_identifier(get_namespace_name(get_rel_namespace(relid)),
									  get_rel_name(relid));
}

/* What a statement already did, seen from the catalogs. */
typedef enum Effect
{
	EFFECT_UNKNOWN,				/* not visible, or not yet: run it */
	EFFECT_DONE,				/* it took effect: count it done */
	EFFECT_DETACH_PENDING		/* DETACH ... CONCURRENTLY half done: finalize */
} Effect;

typedef struct Inspection
{
	Effect		effect;
	char	   *what;			/* for the log: what was seen */
	char	   *invalid_index;	/* an INVALID index named like the one it builds */
	char	   *finalize_sql;	/* EFFECT_DETACH_PENDING: what finishes it */
} Inspection;

/*
 * CREATE INDEX CONCURRENTLY name ON table: the index of that name on that
 * table, resolved as the statement resolves them (the migration's
 * search_path), valid or not.
 */
static void
inspect_create_index(IndexStmt *stmt, bool retrying, Inspection *out)
{
	Oid			relid;
	Oid			indexid;

	if (!stmt->concurrent || stmt->idxname == NULL)
		return;
	relid = RangeVarGetRelid(stmt->relation, NoLock, true);
	if (!OidIsValid(relid))
		return;
	indexid = get_relname_relid(stmt->idxname, get_rel_namespace(relid));
	if (!OidIsValid(indexid) || get_rel_relkind(indexid) != RELKIND_INDEX ||
		IndexGetRelation(indexid, true) != relid)
		return;
	if (!get_index_isvalid(indexid))
		out->invalid_index = qualified_relname(indexid);
	else if (retrying)
	{
		out->effect = EFFECT_DONE;
		out->what = psprintf("index %s exists and is valid", qualified_relname(indexid));
	}
}

/* DROP INDEX CONCURRENTLY: done when every index it names is gone. */
static void
inspect_drop_index(DropStmt *stmt, Inspection *out)
{
	ListCell   *lc;

	if (!stmt->concurrent || stmt->missing_ok || stmt->removeType != OBJECT_INDEX)
		return;
	foreach(lc, stmt->objects)
	{
		RangeVar   *rv = makeRangeVarFromNameList((List *) lfirst(lc));

		if (OidIsValid(RangeVarGetRelid(rv, NoLock, true)))
			return;
	}
	out->effect = EFFECT_DONE;
	out->what = pstrdup("the indexes it drops no longer exist");
}

/*
 * ALTER TABLE parent DETACH PARTITION part CONCURRENTLY: pending detach
 * when its first transaction committed and its last did not (a restart in
 * between leaves no record of the attempt, so this is looked at on any
 * run: the statement could only fail on it); on a retry, done when part is
 * no partition any more.
 */
static void
inspect_detach(AlterTableStmt *stmt, bool retrying, Inspection *out)
{
	AlterTableCmd *cmd;
	PartitionCmd *pcmd;
	Oid			parentid;
	Oid			partid;

	if (list_length(stmt->cmds) != 1)
		return;
	cmd = linitial_node(AlterTableCmd, stmt->cmds);
	if (cmd->subtype != AT_DetachPartition)
		return;
	pcmd = (PartitionCmd *) cmd->def;
	if (!pcmd->concurrent)
		return;
	parentid = RangeVarGetRelid(stmt->relation, NoLock, true);
	partid = RangeVarGetRelid(pcmd->name, NoLock, true);
	if (!OidIsValid(parentid) || !OidIsValid(partid))
		return;
	if (!get_rel_relispartition(partid))
	{
		if (!retrying)
			return;
		out->effect = EFFECT_DONE;
		out->what = psprintf("%s is no longer a partition", qualified_relname(partid));
	}
	else if (get_partition_parent(partid, true) == parentid &&
			 PartitionHasPendingDetach(partid))
	{
		out->effect = EFFECT_DETACH_PENDING;
		out->what = psprintf("%s is pending detach from %s", qualified_relname(partid),
							 qualified_relname(parentid));
		out->finalize_sql = psprintf("ALTER TABLE %s DETACH PARTITION %s FINALIZE",
									 qualified_relname(parentid),
									 qualified_relname(partid));
	}
}

/*
 * Before statement i runs: an INVALID index left where it builds one, a
 * detach left pending, and (on a retry, at the statement it resumes at)
 * whether it already took effect.  Looks at the catalogs only, in a
 * transaction of its own, with the migration's settings (names resolve as
 * the statement resolves them).
 */
static void
inspect_statement(NoXact *nx, int i, bool retrying, Inspection *out)
{
	Node	   *tree = nx->script->stmts[i].parsetree;

	memset(out, 0, sizeof(Inspection));
	if (!IsA(tree, IndexStmt) && !IsA(tree, AlterTableStmt) &&
		!(retrying && IsA(tree, DropStmt)))
		return;

	StartTransactionCommand();
	MemoryContextSwitchTo(nx->rs->cxt);
	if (IsA(tree, IndexStmt))
		inspect_create_index((IndexStmt *) tree, retrying, out);
	else if (IsA(tree, DropStmt))
		inspect_drop_index((DropStmt *) tree, out);
	else
		inspect_detach((AlterTableStmt *) tree, retrying, out);
	CommitTransactionCommand();
	MemoryContextSwitchTo(nx->rs->cxt);
}

/* DROP INDEX CONCURRENTLY of a qualified name; NULL or the error. */
static ErrorData *
try_drop_index(NoXact *nx, const char *name)
{
	ErrorData  *volatile edata = NULL;

	PG_TRY();
	{
		run_toplevel_sql(nx, psprintf("DROP INDEX CONCURRENTLY IF EXISTS %s", name), 0);
	}
	PG_CATCH();
	{
		edata = pgm_unit_catch(nx->rs->cxt);
	}
	PG_END_TRY();
	MemoryContextSwitchTo(nx->rs->cxt);
	MemoryContextReset(nx->stmtcxt);
	return edata;
}

/*
 * After statement i failed: the indexes it created that survived it
 * (committed by CREATE INDEX CONCURRENTLY or REINDEX CONCURRENTLY before
 * they failed) are INVALID; each is dropped now, so that no retry builds a
 * second one beside it, and the error says so.
 */
static void
drop_left_indexes(NoXact *nx, List *created, ErrorData *edata)
{
	List	   *left = NIL;
	ListCell   *lc;

	if (created == NIL)
		return;
	StartTransactionCommand();
	MemoryContextSwitchTo(nx->rs->cxt);
	foreach(lc, created)
	{
		Oid			relid = lfirst_oid(lc);

		if (get_rel_relkind(relid) == RELKIND_INDEX && !get_index_isvalid(relid))
			left = lappend(left, qualified_relname(relid));
	}
	CommitTransactionCommand();
	MemoryContextSwitchTo(nx->rs->cxt);

	foreach(lc, left)
	{
		char	   *name = (char *) lfirst(lc);
		ErrorData  *dropped;
		char	   *note;

		ereport(LOG,
				(errmsg("dropping INVALID index %s left by a failed statement of migration " INT64_FORMAT " \"%s\"",
						name, nx->script->file->version, nx->script->file->name)));
		dropped = try_drop_index(nx, name);
		if (dropped == NULL)
			note = psprintf(_("The failed build left index %s INVALID; it was dropped."), name);
		else
			note = psprintf(_("The failed build left index %s INVALID; dropping it failed: %s"),
							name, pgm_error_line(dropped));
		edata->detail = edata->detail ? psprintf("%s\n%s", edata->detail, note) : note;
	}
}

/*
 * Before statement i: an INVALID index in its way is dropped, a detach left
 * pending is finalized and counted done, and on a retry a statement that
 * already took effect is counted done; *took_effect says whether the
 * statement is done.  Returns NULL or the error.
 */
static ErrorData *
before_statement(NoXact *nx, int i, bool retrying, bool *took_effect)
{
	RunState   *rs = nx->rs;
	PgmFile    *file = nx->script->file;
	ErrorData  *volatile edata = NULL;
	Inspection	insp;

	*took_effect = false;
	PG_TRY();
	{
		CHECK_FOR_INTERRUPTS();
		inspect_statement(nx, i, retrying, &insp);
		if (insp.invalid_index != NULL)
		{
			ereport(LOG,
					(errmsg("dropping INVALID index %s left by a failed CREATE INDEX CONCURRENTLY before retrying migration " INT64_FORMAT,
							insp.invalid_index, file->version)));
			run_toplevel_sql(nx, psprintf("DROP INDEX CONCURRENTLY IF EXISTS %s",
										  insp.invalid_index), 0);
		}
		if (insp.effect == EFFECT_DONE)
		{
			ereport(LOG,
					(errmsg("statement %d of migration " INT64_FORMAT " \"%s\" already took effect: %s",
							i + 1, file->version, file->name, insp.what),
					 errdetail("It is counted done instead of being run again.")));
			record_done_xact(nx, i + 1);
		}
		else if (insp.effect == EFFECT_DETACH_PENDING)
		{
			ereport(LOG,
					(errmsg("statement %d of migration " INT64_FORMAT " \"%s\" was interrupted half done: %s",
							i + 1, file->version, file->name, insp.what),
					 errdetail("It is finished with: %s", insp.finalize_sql)));
			run_toplevel_sql(nx, insp.finalize_sql, i + 1);
		}
		*took_effect = insp.effect != EFFECT_UNKNOWN;
	}
	PG_CATCH();
	{
		edata = pgm_unit_catch(rs->cxt);
	}
	PG_END_TRY();
	MemoryContextSwitchTo(rs->cxt);
	MemoryContextReset(nx->stmtcxt);
	if (edata != NULL)
		pgm_decorate_error(nx->script, i, edata, true, &rs->hints);
	return edata;
}

/*
 * Statement i with top-level semantics, recording it done in its own last
 * transaction.  Returns NULL, or the error (decorated with the file and
 * line when the statement raised it) once everything is rolled back and
 * the indexes it left are dropped.
 */
static ErrorData *
run_statement(NoXact *nx, int i)
{
	PgmScript  *script = nx->script;
	volatile bool statement_ran = false;
	ErrorData  *volatile edata = NULL;

	nx->created = NIL;
	PG_TRY();
	{
		SetCurrentStatementStartTimestamp();
		StartTransactionCommand();
		pgstat_report_activity(STATE_RUNNING, script->file->filename);
		pgm_exec_toplevel(script->stmts[i].raw, script->file->body, nx->stmtcxt,
						  &nx->created);
		statement_ran = true;
		record_done(nx, i + 1);
		CommitTransactionCommand();
	}
	PG_CATCH();
	{
		edata = pgm_unit_catch(nx->rs->cxt);
	}
	PG_END_TRY();
	MemoryContextSwitchTo(nx->rs->cxt);

	if (edata != NULL)
	{
		if (!statement_ran)
			pgm_decorate_error(script, i, edata, true, &nx->rs->hints);
		drop_left_indexes(nx, nx->created, edata);
	}
	nx->created = NIL;
	MemoryContextReset(nx->stmtcxt);
	return edata;
}

/*
 * A resumed migration: the settings the skipped statements made (SET,
 * RESET, SET ROLE, SET SESSION AUTHORIZATION) are made again, each in its
 * own transaction as it first ran.  SET LOCAL never outlived its statement.
 */
static void
replay_settings(NoXact *nx, int done)
{
	PgmScript  *script = nx->script;
	int			j;

	for (j = 0; j < done; j++)
	{
		Node	   *tree = script->stmts[j].parsetree;
		ErrorData  *volatile edata = NULL;

		if (!IsA(tree, VariableSetStmt) || ((VariableSetStmt *) tree)->is_local)
			continue;
		PG_TRY();
		{
			SetCurrentStatementStartTimestamp();
			StartTransactionCommand();
			pgm_exec_toplevel(script->stmts[j].raw, script->file->body, nx->stmtcxt, NULL);
			CommitTransactionCommand();
		}
		PG_CATCH();
		{
			edata = pgm_unit_catch(nx->rs->cxt);
		}
		PG_END_TRY();
		MemoryContextSwitchTo(nx->rs->cxt);
		MemoryContextReset(nx->stmtcxt);
		if (edata != NULL)
		{
			pgm_decorate_error(script, j, edata, true, &nx->rs->hints);
			ReThrowError(edata);
		}
	}
}

/*
 * The statements of a no-transaction migration from the first one not
 * done; returns NULL when all are done and the migration is recorded, or
 * the error that ends it.
 */
static ErrorData *
run_statements(NoXact *nx, bool failed_before)
{
	RunState   *rs = nx->rs;
	PgmScript  *script = nx->script;
	PgmFile    *file = script->file;
	ErrorData  *volatile edata = NULL;
	volatile bool retrying = failed_before;
	volatile int done = 0;
	int			i;

	/* what an earlier attempt recorded, validated; settings it made */
	PG_TRY();
	{
		pgm_unit_begin();
		pgm_exec_check_script(script, &rs->hints);
		done = pgm_progress_read(file, PGM_DIRECTION_UP, script->nstmts);
		pgm_plan_begin_steps(rs->plan, file, done, script->nstmts);
		pgm_unit_end();
		if (done == PGM_PROGRESS_NONE)
			done = 0;
		else
		{
			retrying = true;
			if (done > 0)
				ereport(LOG,
						(errmsg("resuming migration " INT64_FORMAT " \"%s\" after statement %d of %d",
								file->version, file->name, done, script->nstmts)));
		}
		replay_settings(nx, done);

		/* a file of no statements (only a marker) */
		if (script->nstmts == 0)
			record_done_xact(nx, 0);
	}
	PG_CATCH();
	{
		edata = pgm_unit_catch(rs->cxt);
	}
	PG_END_TRY();
	MemoryContextSwitchTo(rs->cxt);
	if (edata != NULL)
		return edata;

	for (i = done; i < script->nstmts; i++)
	{
		bool		took_effect;
		int			attempt;

		edata = before_statement(nx, i, retrying && i == done, &took_effect);
		if (edata != NULL)
			return edata;
		if (took_effect)
			continue;

		for (attempt = 0;; attempt++)
		{
			edata = run_statement(nx, i);
			if (edata == NULL)
				break;
			if (!retry_lock_timeout(rs, edata, attempt, file))
				return edata;
		}
	}
	return NULL;
}

/*
 * A no-transaction migration: each statement in its own transaction, the
 * session's settings put back at its end, succeeded or not.
 */
static bool
run_no_transaction(RunState *rs, PgmScript *script, bool retrying)
{
	NoXact		nx;
	ErrorData  *volatile edata = NULL;

	nx.rs = rs;
	nx.script = script;
	nx.created = NIL;
	nx.stmtcxt = AllocSetContextCreate(rs->cxt, "pg_migrate statement",
									   ALLOCSET_DEFAULT_SIZES);
	nx.settings = pgm_session_save(rs->cxt);
	INSTR_TIME_SET_CURRENT(nx.start);

	StartTransactionCommand();
	pgm_lock_busy_begin();
	rs->busy = true;
	CommitTransactionCommand();
	MemoryContextSwitchTo(rs->cxt);

	/* errors from outside a statement too (a cancel while backing off) */
	PG_TRY();
	{
		edata = run_statements(&nx, retrying);
	}
	PG_CATCH();
	{
		edata = pgm_unit_catch(rs->cxt);
	}
	PG_END_TRY();
	MemoryContextSwitchTo(rs->cxt);

	StartTransactionCommand();
	pgm_session_restore(nx.settings);
	pgm_lock_busy_end();
	rs->busy = false;
	CommitTransactionCommand();
	MemoryContextSwitchTo(rs->cxt);
	MemoryContextDelete(nx.stmtcxt);

	if (edata != NULL)
		return end_failure(rs, script->file, edata);
	log_applied(rs, script->file, elapsed_ms(&nx));
	return true;
}

/* ---------- batched data migrations ---------- */

/* A batched data migration's run so far. */
typedef struct BatchRun
{
	RunState   *rs;
	PgmScript  *script;
	int64		batches;		/* committed by this run */
	int64		rows;
	instr_time	start;
	instr_time	last_log;
} BatchRun;

static double
since_ms(instr_time start)
{
	instr_time	elapsed;

	INSTR_TIME_SET_CURRENT(elapsed);
	INSTR_TIME_SUBTRACT(elapsed, start);
	return INSTR_TIME_GET_MILLISEC(elapsed);
}

static void
log_batches(BatchRun *br)
{
	double		secs = since_ms(br->start) / 1000.0;

	ereport(LOG,
			(errmsg("batch migration " INT64_FORMAT " \"%s\": " INT64_FORMAT " batches, " INT64_FORMAT " rows changed, %.0f rows/s",
					br->script->file->version, br->script->file->name,
					br->batches, br->rows, secs > 0 ? br->rows / secs : 0.0)));
	INSTR_TIME_SET_CURRENT(br->last_log);
}

/*
 * One batch: its own transaction, committed with the run's progress, or,
 * when it changed no row, with the migration recorded applied.  Sets *n
 * to the rows it changed; returns its error, rolled back, or NULL.
 */
static ErrorData *
try_batch(BatchRun *br, uint64 *n)
{
	ErrorData  *edata = NULL;

	*n = 0;
	PG_TRY();
	{
		PgmFile    *file = br->script->file;

		pgm_unit_begin();
		pgstat_report_activity(STATE_RUNNING, file->filename);
		/* the tool's table says it is in flight, with the first progress row */
		if (br->batches == 0)
			pgm_plan_begin_steps(br->rs->plan, file, 0, 1);
		*n = pgm_batch_execute(br->script, br->batches + 1);
		if (*n == 0)
		{
			record_applied(br->rs, file, since_ms(br->start));
			pgm_progress_clear(file->version, PGM_DIRECTION_UP);
		}
		else
			pgm_progress_write_batch(file, br->batches + 1, br->rows + (int64) *n);
		pgm_unit_end();
	}
	PG_CATCH();
	{
		edata = pgm_unit_catch(br->rs->cxt);
	}
	PG_END_TRY();
	MemoryContextSwitchTo(br->rs->cxt);
	return edata;
}

/* Batches until one changes no row; the error that stopped them, or NULL. */
static ErrorData *
run_batches(BatchRun *br)
{
	int			attempt = 0;

	for (;;)
	{
		uint64		n;
		ErrorData  *edata;

		if (br->batches > 0)
			pgm_batch_throttle(br->script);
		edata = try_batch(br, &n);
		if (edata != NULL)
		{
			if (retry_lock_timeout(br->rs, edata, attempt++, br->script->file))
				continue;
			return edata;
		}
		attempt = 0;
		if (n == 0)
			return NULL;
		br->batches++;
		br->rows += (int64) n;
		if (since_ms(br->last_log) >= 10000.0)
			log_batches(br);
	}
}

/*
 * A batched data migration: batch after batch, each committed, until one
 * changes no row.  Holds the busy flag meanwhile, so other sessions calling
 * migrate_apply on the folder are told at once rather than wait hours.
 * A cancel or a crash loses the batch in flight only; the next run goes
 * on where the committed batches left the data (the statement's own WHERE
 * skips the rows done).
 */
static bool
run_batch(RunState *rs, PgmScript *script)
{
	BatchRun	br;
	ErrorData  *volatile edata = NULL;

	memset(&br, 0, sizeof(br));
	br.rs = rs;
	br.script = script;
	INSTR_TIME_SET_CURRENT(br.start);
	br.last_log = br.start;

	StartTransactionCommand();
	pgm_lock_busy_begin();
	rs->busy = true;
	CommitTransactionCommand();
	MemoryContextSwitchTo(rs->cxt);

	/* errors between batches too (a cancel while pausing) */
	PG_TRY();
	{
		edata = run_batches(&br);
	}
	PG_CATCH();
	{
		edata = pgm_unit_catch(rs->cxt);
	}
	PG_END_TRY();
	MemoryContextSwitchTo(rs->cxt);

	StartTransactionCommand();
	pgm_lock_busy_end();
	rs->busy = false;
	CommitTransactionCommand();
	MemoryContextSwitchTo(rs->cxt);

	if (edata != NULL)
		return end_failure(rs, script->file, edata);
	log_batches(&br);
	log_applied(rs, script->file, since_ms(br.start));
	return true;
}

/* ---------- the run ---------- */

static void
set_lock_timeout(int ms)
{
	char		value[32];

	snprintf(value, sizeof(value), "%d", ms);
	(void) set_config_option("lock_timeout", value, PGC_SUSET, PGC_S_SESSION,
							 GUC_ACTION_SET, true, 0, false);
}

/* The migrations of the plan, in order, until one fails. */
static void
run_pending(RunState *rs)
{
	PgmRunResult *result = rs->result;
	int			k;

	if (rs->failed_file != NULL)
		record_failure(rs, rs->failed_file, rs->failed_error, true);

	for (k = 0; !result->failed && k < rs->npending; k++)
	{
		PgmScript  *script = rs->pending[k];
		bool		ok;

		CHECK_FOR_INTERRUPTS();
		if (script->batch)
			ok = run_batch(rs, script);
		else if (script->no_transaction)
			ok = run_no_transaction(rs, script, rs->retrying[k]);
		else
			ok = run_transactional(rs, script);
		if (!ok)
		{
			result->failed = !result->canceled || rs->opts->record_cancel;
			break;
		}
		result->applied++;
		pgm_file_release(script->file);
	}
}

/*
 * An error outside any migration (preparing the run, recording a failure,
 * a cancel between migrations): logged, and the run ends failed, or
 * canceled for a cancel.
 */
static void
run_error(RunState *rs, ErrorData *edata)
{
	if (edata->sqlerrcode == ERRCODE_QUERY_CANCELED)
		rs->result->canceled = true;
	rs->result->failed = !rs->result->canceled || rs->opts->record_cancel;
	rs->result->error = pgm_error_line(edata);
	rs->end_error = edata;
	if (!rs->opts->in_session)
		log_error(edata);
}

void
pgm_run_folder(const PgmRunOptions *opts, PgmRunResult *result)
{
	MemoryContext oldcontext = CurrentMemoryContext;
	RunState	rs;

	memset(result, 0, sizeof(PgmRunResult));
	memset(&rs, 0, sizeof(rs));
	rs.opts = opts;
	rs.result = result;
	rs.hints.fix = opts->fix_hint ? opts->fix_hint :
		"Fix the migration file and apply the folder again; the migrations before it stay applied.";
	rs.cxt = AllocSetContextCreate(oldcontext, "pg_migrate run", ALLOCSET_DEFAULT_SIZES);
	if (opts->lock_timeout_ms >= 0)
		set_lock_timeout(opts->lock_timeout_ms);

	PG_TRY();
	{
		prepare_run(&rs);
		run_pending(&rs);
	}
	PG_CATCH();
	{
		run_error(&rs, pgm_unit_catch(rs.cxt));
	}
	PG_END_TRY();

	/*
	 * The locks are session-scoped: give them back inside a transaction, on
	 * every way out of the run.
	 */
	StartTransactionCommand();
	if (rs.busy)
		pgm_lock_busy_end();
	pgm_unlock_session();
	CommitTransactionCommand();
	if (opts->lock_timeout_ms >= 0)
		(void) set_config_option("lock_timeout", NULL, PGC_SUSET, PGC_S_SESSION,
								 GUC_ACTION_SET, true, 0, false);
	/* a session's own command is still running: show it again */
	pgstat_report_activity(opts->in_session ? STATE_RUNNING : STATE_IDLE,
						   opts->in_session ? debug_query_string : NULL);

	MemoryContextSwitchTo(oldcontext);
	if (result->error != NULL)
		result->error = pstrdup(result->error);
	if (opts->in_session && rs.end_error != NULL)
		result->edata = pgm_error_copy(rs.end_error);
	MemoryContextDelete(rs.cxt);
}
