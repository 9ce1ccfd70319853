/*-------------------------------------------------------------------------
 *
 * apply.c
 *	  The atomic path: apply a folder's pending migrations inside the
 *	  caller's transaction.
 *
 * Order of work, chosen so that nothing runs unless everything can:
 *   1. scan the folder and read every file once (no lock held for I/O);
 *   2. take the migration advisory lock (lock.c), then read the history and
 *      the tool's table, so concurrent callers see each other's commits
 *      (steps 1 and 2 are pgm_plan_prepare, shared with the worker path);
 *   3. build the plan and refuse drift (modified; missing and out of order
 *      unless asked to go on) or a dirty table (pgm_plan_check);
 *   4. parse every pending file: a syntax error anywhere stops the call
 *      before any SQL runs (in a file over 4 MB, anywhere in its first
 *      piece: see Memory);
 *   5. run each migration, collecting its history row;
 *   6. write the history rows (one INSERT) and bring the tool's table up to
 *      date by track.h's one rule.
 *
 * Memory: each pending migration's parse trees live in a context of their
 * own, deleted once it has run.  A file over PGM_SCRIPT_WHOLE_MAX (script.h)
 * is parsed a piece at a time as it runs, each piece's trees freed before
 * the next is parsed: its syntax errors past the first piece are found when
 * reached (nothing is applied either way, the call being one transaction),
 * and lint's rules see its first piece.
 *
 * IDENTIFICATION
 *	  src/apply.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "apply.h"
#include "exec_spi.h"
#include "executor/spi.h"
#include "folder.h"
#include "history.h"
#include "lock.h"
#include "batch.h"
#include "lint.h"
#include "plan.h"
#include "script.h"
#include "utils/memutils.h"

/* What a failed migration's error tells the user on this path. */
static const PgmFailHints parse_hints = {
	.fix = "Fix the migration file and call migrate_apply again; nothing was applied, since every pending file is parsed before any runs.",
};
static const PgmFailHints run_hints = {
	.fix = "Fix the migration file and call migrate_apply again; nothing from this call was applied.",
	.out_of_locks = "migrate_apply holds a lock on every object its migrations touch until the call commits (max_locks_per_transaction = %d). "
	"Apply the folder with CALL migrate_run(dir), which commits each migration on its own, or in steps with migrate_apply's target argument.",
	.enum_added_before = "The value was added by an earlier migration of this migrate_apply call, in the same transaction, and a new enum value can be used only once that transaction has committed. "
	"Apply the folder with CALL migrate_run(dir), which commits each migration on its own.",
	.enum_added_here = "An earlier statement of this migration adds the value, and a new enum value can be used only once that transaction has committed. "
	"Move the statements that use it to a later migration and apply the folder with CALL migrate_run(dir), which commits each migration on its own.",
};

/* migrate_apply runs inside the caller's transaction: it cannot run these. */
static void
refuse_no_transaction(PgmScript *script)
{
	if (!script->no_transaction)
		return;
	ereport(ERROR,
			(errcode(ERRCODE_ACTIVE_SQL_TRANSACTION),
			 errmsg("migration file \"%s\" cannot run inside a transaction block",
					script->file->filename),
			 errdetail("It holds %s; migrate_apply runs inside the caller's transaction.",
					   script->no_transaction_reason),
			 errhint("Apply the folder with CALL migrate_run(dir), which runs such files statement by statement outside a transaction block, or with migrate_apply_async()."),
			 errcontext("migration file \"%s\", line %d",
						script->file->filename, script->no_transaction_line)));
}

void
pgm_apply_folder(const char *dir, const PgmPlanOptions *opts,
				 PgmAppliedCallback emit, void *arg)
{
	PgmPlan    *plan;
	PgmHistoryWriter writer;
	PgmHistoryBatch batch;
	PgmScript **scripts;
	PgmLint    *lint;
	MemoryContext *contexts;
	int			npending = 0;
	int			k;

	pgm_run_enter();
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	plan = pgm_plan_prepare(dir, PGM_LOCK_XACT);
	pgm_plan_check(plan, opts);

	memset(&batch, 0, sizeof(batch));
	pgm_history_writer_init(&writer, dir, NULL);

	lint = pgm_lint_start(opts->lint);

	/* parse and lint everything pending before running anything */
	scripts = palloc0(sizeof(PgmScript *) * Max(pgm_plan_count(plan), 1));
	contexts = palloc0(sizeof(MemoryContext) * Max(pgm_plan_count(plan), 1));
	for (k = 0; k < pgm_plan_count(plan); k++)
	{
		PgmPlanItem *item = pgm_plan_item(plan, k);
		MemoryContext oldcontext;

		if (!pgm_plan_item_runs(item, opts))
		{
			if (item->file != NULL)
				pgm_file_release(item->file);
			continue;
		}
		contexts[npending] = AllocSetContextCreate(CurrentMemoryContext,
												   "pg_migrate migration",
												   ALLOCSET_DEFAULT_SIZES);
		oldcontext = MemoryContextSwitchTo(contexts[npending]);
		scripts[npending] = pgm_script_parse_lazy(item->file, &parse_hints);
		pgm_lint_enforce(scripts[npending]);
		pgm_lint_check(lint, scripts[npending]);
		MemoryContextSwitchTo(oldcontext);
		refuse_no_transaction(scripts[npending]);
		npending++;
	}

	pgm_plan_record_adoption(plan, &writer);

	for (k = 0; k < npending; k++)
	{
		PgmFile    *file = scripts[k]->file;
		double		ms;

		pgm_plan_begin(plan, file);
		ms = scripts[k]->batch ? pgm_batch_run_atomic(scripts[k], &run_hints) :
			pgm_exec_migration(scripts[k], &run_hints);
		pgm_history_batch_add(&batch, file, ms);
		pgm_plan_applied(plan, file);
		if (emit != NULL)
			emit(file->version, file->name, ms, arg);
		MemoryContextDelete(contexts[k]);
		pgm_file_release(file);
	}

	pgm_history_batch_flush(&writer, &batch);
	pgm_plan_track_flush(plan);

	k = SPI_finish();
	if (k != SPI_OK_FINISH)
		elog(ERROR, "SPI_finish failed: %s", SPI_result_code_string(k));
	pgm_run_leave();
}
