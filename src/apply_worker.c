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
 * Files that cannot run in a transaction block run one statement per
 * transaction command with top-level semantics (exec_toplevel.c).  Progress is
 * recorded after each statement in pgmigrate.progress, so a retry of the same
 * file resumes after the last completed statement; an index that a failed
 * CREATE INDEX CONCURRENTLY left INVALID is reported and dropped before the
 * retry builds it again.
 *
 * On failure the migration's transaction rolls back, the history gets a
 * "failed" row with the error, and schema_migrations is set dirty at that
 * version (golang-migrate's contract).  The migration advisory lock is held
 * session-scoped for the whole run, so migrate_apply and golang-migrate wait.
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
#include "catalog/pg_type.h"
#include "exec_spi.h"
#include "executor/spi.h"
#include "folder.h"
#include "history.h"
#include "lint.h"
#include "lib/stringinfo.h"
#include "lock.h"
#include "miscadmin.h"
#include "nodes/parsenodes.h"
#include "parser/parser.h"
#include "pgstat.h"
#include "plan.h"
#include "safe_sql.h"
#include "portability/instr_time.h"
#include "apply_worker.h"
#include "script.h"
#include "storage/latch.h"
#include "tcop/tcopprot.h"
#include "unit.h"
#include "exec_toplevel.h"
#include "utils/builtins.h"
#include "utils/guc.h"
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
	PgmFile    *failed_file;	/* set when a file failed before running */
	ErrorData  *failed_error;
} RunState;

typedef struct ParseArgs
{
	RunState   *rs;
	PgmFile    *file;
} ParseArgs;

static void
parse_pending(void *arg)
{
	ParseArgs  *a = (ParseArgs *) arg;

	PgmScript  *script = pgm_script_parse(a->file, &a->rs->hints);

	pgm_lint_enforce(script);
	a->rs->pending[a->rs->npending] = script;
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
	PgmPlanOptions opts;
	PgmPlan    *plan;
	PgmHistoryWriter writer;
	int			k;

	memset(&opts, 0, sizeof(opts));
	pgm_unit_begin();
	MemoryContextSwitchTo(rs->cxt);
	plan = rs->plan = pgm_plan_prepare(rs->opts->dir, PGM_LOCK_SESSION);
	pgm_plan_check(plan, &opts);

	pgm_history_writer_init(&writer, rs->opts->dir, rs->opts->applied_by);
	pgm_plan_record_adoption(plan, &writer);

	rs->pending = palloc0(sizeof(PgmScript *) * Max(plan->n, 1));
	for (k = 0; k < plan->n; k++)
	{
		PgmPlanItem *item = &plan->items[k];
		ParseArgs	args = {rs, item->file};

		if (!pgm_plan_item_runs(item, &opts))
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

/* Records a failed migration: history row, the tool's table, log. */
static void
record_failure(RunState *rs, PgmFile *file, ErrorData *edata)
{
	PgmHistoryWriter writer;
	char	   *line = pgm_error_line(edata);

	pgm_unit_begin();
	pgm_history_writer_init(&writer, rs->opts->dir, rs->opts->applied_by);
	pgm_history_record(&writer, PGM_HIST_FAILED, file->version, file->name,
					   file, -1, line);
	pgm_track_failed(&rs->plan->tracked, file->version);
	pgm_unit_end();

	rs->result->failed = true;
	rs->result->error = line;

	/* the whole error, with file, line and hint, goes to the server log */
	edata->elevel = LOG;
	edata->output_to_client = false;
	ThrowErrorData(edata);
}

static void
log_applied(RunState *rs, PgmFile *file, double ms)
{
	ereport(LOG,
			(errmsg("applied migration " INT64_FORMAT " \"%s\" in %.3f ms",
					file->version, file->name, ms),
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
	pgm_plan_applied(rs->plan, file->version);
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

static bool
retry_lock_timeout(RunState *rs, ErrorData *edata, int attempt, PgmFile *file)
{
	if (edata->sqlerrcode != ERRCODE_LOCK_NOT_AVAILABLE ||
		attempt >= rs->opts->lock_retries)
		return false;
	ereport(LOG,
			(errmsg("migration " INT64_FORMAT " \"%s\" timed out waiting for a lock; retrying (%d of %d)",
					file->version, file->name, attempt + 1, rs->opts->lock_retries)));
	backoff(attempt);
	return true;
}

/*
 * What to do after an error of a migration: retry a lock timeout, stop on a
 * cancel, or record the failure.  Returns true to retry.
 */
static bool
handle_failure(RunState *rs, PgmFile *file, ErrorData *edata, int attempt)
{
	if (retry_lock_timeout(rs, edata, attempt, file))
		return true;
	if (edata->sqlerrcode == ERRCODE_QUERY_CANCELED)
	{
		rs->result->canceled = true;
		rs->result->error = pgm_error_line(edata);
		return false;
	}
	record_failure(rs, file, edata);
	return false;
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
		if (!handle_failure(rs, script->file, edata, attempt))
			return false;
	}
}

/* Statements completed by an earlier attempt of this very file. */
static int
progress_done(RunState *rs, PgmFile *file)
{
	Oid			types[2] = {INT8OID, TEXTOID};
	Datum		values[2];
	volatile int done = 0;

	int			nestlevel;

	pgm_unit_begin();
	nestlevel = pgm_safe_sql_begin();
	values[0] = Int64GetDatum(file->version);
	values[1] = CStringGetTextDatum(file->checksum);
	if (SPI_execute_with_args("SELECT statements_done FROM pgmigrate.progress "
							  "WHERE version = $1 AND direction = 'up' AND checksum = $2",
							  2, types, values, NULL, false, 0) == SPI_OK_SELECT &&
		SPI_processed == 1)
	{
		bool		isnull;

		done = DatumGetInt32(SPI_getbinval(SPI_tuptable->vals[0],
										   SPI_tuptable->tupdesc, 1, &isnull));
	}
	pgm_safe_sql_end(nestlevel);
	pgm_unit_end();
	return done;
}

static void
progress_set(RunState *rs, PgmFile *file, int done)
{
	Oid			types[3] = {INT8OID, TEXTOID, INT4OID};
	Datum		values[3];
	int			nestlevel;

	pgm_unit_begin();
	nestlevel = pgm_safe_sql_begin();
	values[0] = Int64GetDatum(file->version);
	values[1] = CStringGetTextDatum(file->checksum);
	values[2] = Int32GetDatum(done);
	if (SPI_execute_with_args("INSERT INTO pgmigrate.progress (version, checksum, statements_done) "
							  "VALUES ($1, $2, $3) ON CONFLICT (version, direction) DO UPDATE "
							  "SET checksum = EXCLUDED.checksum, "
							  "statements_done = EXCLUDED.statements_done, "
							  "updated_at = pg_catalog.clock_timestamp()",
							  3, types, values, NULL, false, 0) != SPI_OK_INSERT)
		elog(ERROR, "recording progress failed");
	pgm_safe_sql_end(nestlevel);
	pgm_unit_end();
}

/*
 * The name of the index a CREATE INDEX CONCURRENTLY would build, if an
 * index of that name exists and is INVALID (a failed earlier build).
 */
static char *
invalid_index_left(RunState *rs, Node *parsetree)
{
	IndexStmt  *stmt = (IndexStmt *) parsetree;
	char	   *found = NULL;
	Oid			types[2] = {TEXTOID, TEXTOID};
	Datum		values[2];
	char		nulls[2] = {' ', ' '};

	if (!IsA(parsetree, IndexStmt) || !stmt->concurrent || stmt->idxname == NULL)
		return NULL;

	pgm_unit_begin();
	values[0] = CStringGetTextDatum(stmt->idxname);
	values[1] = stmt->relation->schemaname ?
		CStringGetTextDatum(stmt->relation->schemaname) : (Datum) 0;
	nulls[1] = stmt->relation->schemaname ? ' ' : 'n';
	if (SPI_execute_with_args("SELECT pg_catalog.format('%I.%I', n.nspname, c.relname) "
							  "FROM pg_catalog.pg_class c "
							  "JOIN pg_catalog.pg_index i ON i.indexrelid = c.oid "
							  "JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace "
							  "WHERE c.relname OPERATOR(pg_catalog.=) $1::pg_catalog.name "
							  "AND NOT i.indisvalid "
							  "AND ($2 IS NULL AND pg_catalog.pg_table_is_visible(c.oid) "
							  "     OR n.nspname OPERATOR(pg_catalog.=) $2::pg_catalog.name)",
							  2, types, values, nulls, false, 1) == SPI_OK_SELECT &&
		SPI_processed == 1)
	{
		bool		isnull;

		found = TextDatumGetCString(SPI_getbinval(SPI_tuptable->vals[0],
												  SPI_tuptable->tupdesc, 1, &isnull));
		found = MemoryContextStrdup(rs->cxt, found);
	}
	pgm_unit_end();
	return found;
}

/* Runs one SQL string with top-level semantics in its own transaction. */
static void
run_toplevel_sql(RunState *rs, const char *sql, MemoryContext stmtcxt)
{
	List	   *raws;

	SetCurrentStatementStartTimestamp();
	StartTransactionCommand();
	MemoryContextSwitchTo(stmtcxt);
	raws = pg_parse_query(sql);
	pgm_exec_toplevel(linitial_node(RawStmt, raws), sql, stmtcxt);
	CommitTransactionCommand();
	MemoryContextSwitchTo(rs->cxt);
	MemoryContextReset(stmtcxt);
}

/* A no-transaction migration: each statement in its own transaction. */
static bool
run_no_transaction(RunState *rs, PgmScript *script)
{
	PgmFile    *file = script->file;
	MemoryContext stmtcxt = AllocSetContextCreate(rs->cxt, "pg_migrate statement",
												  ALLOCSET_DEFAULT_SIZES);
	const int	done = progress_done(rs, file);
	instr_time	start;
	instr_time	elapsed;
	ErrorData  *volatile edata = NULL;
	int			i;

	INSTR_TIME_SET_CURRENT(start);
	StartTransactionCommand();
	pgm_lock_busy_begin();
	CommitTransactionCommand();
	MemoryContextSwitchTo(rs->cxt);
	if (done > 0)
		ereport(LOG,
				(errmsg("resuming migration " INT64_FORMAT " \"%s\" after statement %d of %d",
						file->version, file->name, done, script->nstmts)));

	for (i = done; i < script->nstmts; i++)
	{
		volatile int attempt;
		char	   *leftover = invalid_index_left(rs, script->stmts[i].parsetree);

		if (leftover != NULL)
		{
			ErrorData  *volatile dropped = NULL;

			ereport(LOG,
					(errmsg("dropping INVALID index %s left by a failed CREATE INDEX CONCURRENTLY before retrying migration " INT64_FORMAT,
							leftover, file->version)));
			PG_TRY();
			{
				run_toplevel_sql(rs, psprintf("DROP INDEX CONCURRENTLY IF EXISTS %s", leftover),
								 stmtcxt);
			}
			PG_CATCH();
			{
				dropped = pgm_unit_catch(rs->cxt);
			}
			PG_END_TRY();
			if (dropped != NULL)
			{
				pgm_decorate_error(script, i, dropped, false, &rs->hints);
				record_failure(rs, file, dropped);
				return false;
			}
		}

		for (attempt = 0;; attempt++)
		{
			ErrorData  *volatile failed = NULL;

			PG_TRY();
			{
				SetCurrentStatementStartTimestamp();
				StartTransactionCommand();
				pgstat_report_activity(STATE_RUNNING, file->filename);
				pgm_exec_toplevel(script->stmts[i].raw, file->body, stmtcxt);
				CommitTransactionCommand();
			}
			PG_CATCH();
			{
				failed = pgm_unit_catch(rs->cxt);
			}
			PG_END_TRY();
			MemoryContextSwitchTo(rs->cxt);
			MemoryContextReset(stmtcxt);
			if (failed == NULL)
				break;

			edata = failed;
			pgm_decorate_error(script, i, edata, true, &rs->hints);
			if (edata->sqlerrcode != ERRCODE_LOCK_NOT_AVAILABLE &&
				edata->sqlerrcode != ERRCODE_QUERY_CANCELED)
			{
				leftover = invalid_index_left(rs, script->stmts[i].parsetree);
				if (leftover != NULL)
					edata->detail = edata->detail ?
						psprintf("%s\nThe failed build left index %s INVALID; it is dropped before the retry.",
								 edata->detail, leftover) :
						psprintf("The failed build left index %s INVALID; it is dropped before the retry.",
								 leftover);
			}
			if (!handle_failure(rs, file, edata, attempt))
				return false;
		}
		progress_set(rs, file, i + 1);
	}

	/* all statements done: record the migration and forget the progress */
	INSTR_TIME_SET_CURRENT(elapsed);
	INSTR_TIME_SUBTRACT(elapsed, start);
	edata = NULL;
	PG_TRY();
	{
		Oid			types[1] = {INT8OID};
		Datum		values[1];
		int			nestlevel;

		pgm_unit_begin();
		record_applied(rs, file, INSTR_TIME_GET_MILLISEC(elapsed));
		values[0] = Int64GetDatum(file->version);
		nestlevel = pgm_safe_sql_begin();
		(void) SPI_execute_with_args("DELETE FROM pgmigrate.progress WHERE version = $1 AND direction = 'up'",
									 1, types, values, NULL, false, 0);
		pgm_safe_sql_end(nestlevel);
		pgm_unit_end();
	}
	PG_CATCH();
	{
		edata = pgm_unit_catch(rs->cxt);
	}
	PG_END_TRY();
	MemoryContextSwitchTo(rs->cxt);
	if (edata != NULL)
	{
		record_failure(rs, file, edata);
		return false;
	}
	log_applied(rs, file, INSTR_TIME_GET_MILLISEC(elapsed));
	return true;
}

static void
set_lock_timeout(int ms)
{
	char		value[32];

	snprintf(value, sizeof(value), "%d", ms);
	(void) set_config_option("lock_timeout", value, PGC_SUSET, PGC_S_SESSION,
							 GUC_ACTION_SET, true, 0, false);
}

void
pgm_run_folder(const PgmRunOptions *opts, PgmRunResult *result)
{
	MemoryContext oldcontext = CurrentMemoryContext;
	RunState	rs;
	int			k;

	memset(result, 0, sizeof(PgmRunResult));
	memset(&rs, 0, sizeof(rs));
	rs.opts = opts;
	rs.result = result;
	rs.hints.fix = opts->fix_hint ? opts->fix_hint :
		"Fix the migration file and apply the folder again; the migrations before it stay applied.";
	rs.cxt = AllocSetContextCreate(oldcontext, "pg_migrate run", ALLOCSET_DEFAULT_SIZES);
	set_lock_timeout(opts->lock_timeout_ms);

	PG_TRY();
	{
		prepare_run(&rs);
	}
	PG_CATCH();
	{
		ErrorData  *edata = pgm_unit_catch(rs.cxt);

		result->failed = true;
		result->error = pgm_error_line(edata);
		edata->elevel = LOG;
		edata->output_to_client = false;
		ThrowErrorData(edata);
	}
	PG_END_TRY();

	if (!result->failed && rs.failed_file != NULL)
		record_failure(&rs, rs.failed_file, rs.failed_error);

	for (k = 0; !result->failed && k < rs.npending; k++)
	{
		PgmScript  *script = rs.pending[k];
		bool		ok;

		CHECK_FOR_INTERRUPTS();
		if (script->no_transaction)
		{
			ok = run_no_transaction(&rs, script);
			StartTransactionCommand();
			pgm_lock_busy_end();
			CommitTransactionCommand();
			MemoryContextSwitchTo(rs.cxt);
		}
		else
			ok = run_transactional(&rs, script);
		if (!ok)
		{
			if (result->canceled)
				break;
			result->failed = true;
			break;
		}
		result->applied++;
		pgm_file_release(script->file);
	}

	/* the lock is session-scoped: give it back inside a transaction */
	StartTransactionCommand();
	pgm_unlock_session();
	CommitTransactionCommand();
	set_lock_timeout(0);
	pgstat_report_activity(STATE_IDLE, NULL);

	MemoryContextSwitchTo(oldcontext);
	if (result->error != NULL)
		result->error = pstrdup(result->error);
	MemoryContextDelete(rs.cxt);
}
