/*-------------------------------------------------------------------------
 *
 * apply.c
 *	  Apply a folder's pending migrations inside the caller's transaction.
 *
 * Order of work, chosen so that nothing runs unless everything can:
 *   1. scan the folder and read every file once (no lock held for I/O);
 *   2. take the migration advisory lock (lock.c), then read the history and
 *      schema_migrations, so concurrent callers see each other's commits;
 *   3. build the plan and refuse drift (modified; missing and out of order
 *      unless asked to go on) or a dirty schema_migrations;
 *   4. parse every pending file: a syntax error anywhere stops the call
 *      before any SQL runs;
 *   5. run each migration, collecting its history row;
 *   6. write the history rows (one INSERT) and set schema_migrations to the
 *      highest applied version.
 *
 * Memory: each pending migration's parse trees live in a context of their
 * own, deleted once it has run.
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
#include "lib/stringinfo.h"
#include "lock.h"
#include "plan.h"
#include "script.h"
#include "utils/memutils.h"

#define MAX_LISTED_FILES 10

typedef struct ApplyState
{
	PgmHistoryWriter writer;
	PgmHistoryBatch batch;
	PgmAppliedCallback emit;
	void	   *emit_arg;
} ApplyState;

static void
record_applied(PgmScript *script, double duration_ms, void *arg)
{
	ApplyState *state = (ApplyState *) arg;
	PgmFile    *file = script->file;

	pgm_history_batch_add(&state->batch, file->version, file->name,
						  file->filename, file->checksum, duration_ms);
}

static void
refuse_dirty(PgmPlan *plan, PgmVersionTable *vt)
{
	if (vt->exists && vt->has_row && vt->dirty && !pgm_plan_dirty_is_ours(plan, vt))
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("database is dirty at migration version " INT64_FORMAT, vt->version),
				 errdetail("public.schema_migrations has dirty = true: migration " INT64_FORMAT " failed part-way under a tool that does not roll back.",
						   vt->version),
				 errhint("Check the schema by hand and finish or undo migration " INT64_FORMAT ", then run UPDATE public.schema_migrations SET dirty = false (golang-migrate's \"force\") and call migrate_apply again.",
						 vt->version)));
}

/* Refuses to go on while any migration is in the given state. */
static void
refuse_state(PgmPlan *plan, PgmState state, const char *message, const char *hint)
{
	StringInfoData files;
	int			count = 0;
	int			k;

	initStringInfo(&files);
	for (k = 0; k < plan->n; k++)
	{
		PgmPlanItem *item = &plan->items[k];

		if (item->state != state)
			continue;
		if (count < MAX_LISTED_FILES)
		{
			if (count > 0)
				appendStringInfoString(&files, ", ");
			if (item->file != NULL)
				appendStringInfo(&files, "\"%s\"", item->file->filename);
			else
				appendStringInfo(&files, "version " INT64_FORMAT " (\"%s\")",
								 item->version, item->name);
		}
		count++;
	}
	if (count == 0)
		return;
	if (count > MAX_LISTED_FILES)
		appendStringInfo(&files, " and %d more", count - MAX_LISTED_FILES);

	ereport(ERROR,
			(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
			 errmsg("%s", message),
			 errdetail("Migration files: %s.", files.data),
			 errhint("%s", hint)));
}

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
			 errdetail("Migration file \"%s\", line %d: %s. migrate_apply runs inside the caller's transaction.",
					   script->file->filename, script->no_transaction_line,
					   script->no_transaction_reason),
			 errhint("Apply the folder with migrate_apply_async(), whose background worker runs such files statement by statement outside a transaction block.")));
}

bool
pgm_plan_item_runs(PgmPlanItem *item, const PgmApplyOptions *opts)
{
	return item->file != NULL &&
		(item->state == PGM_STATE_PENDING || item->state == PGM_STATE_FAILED ||
		 item->state == PGM_STATE_OUT_OF_ORDER) &&
		(!opts->has_target || item->version <= opts->target);
}

void
pgm_refuse_drift(PgmPlan *plan, PgmVersionTable *vt, const PgmApplyOptions *opts)
{
	refuse_dirty(plan, vt);

	refuse_state(plan, PGM_STATE_MODIFIED,
				 "applied migration files were modified",
				 "Restore the files as they were applied; a change to the schema belongs in a new migration file. If the change is harmless (a comment, white space), call migrate_repair to record the new checksums.");
	if (!opts->ignore_missing)
		refuse_state(plan, PGM_STATE_MISSING,
					 "applied migration files are missing from the folder",
					 "Restore the missing files, or call migrate_apply with ignore_missing => true.");
	if (!opts->out_of_order)
		refuse_state(plan, PGM_STATE_OUT_OF_ORDER,
					 "pending migrations have versions below the highest applied version",
					 "Give the new files versions above the highest applied one, or call migrate_apply with out_of_order => true to apply them in version order.");
}

void
pgm_record_adoption(PgmPlan *plan, PgmHistoryWriter *writer)
{
	int			k;

	for (k = 0; k < plan->n; k++)
	{
		PgmPlanItem *item = &plan->items[k];

		if (item->adopt == PGM_ADOPT_BASELINE)
			pgm_history_record(writer, PGM_HIST_BASELINED, item->version,
							   item->name, item->file->filename, item->file->checksum, -1, NULL);
		else if (item->adopt == PGM_ADOPT_REVERT)
			pgm_history_record(writer, PGM_HIST_REVERTED, item->version,
							   item->name, item->file ? item->file->filename : NULL,
							   item->file ? item->file->checksum : NULL, -1, NULL);
	}
}

PgmPlan *
pgm_plan_locked(const char *dir, PgmVersionTable *vt)
{
	PgmFolder  *folder = pgm_folder_scan(dir, NULL);
	int			k;

	/* file I/O first, so the lock is held for as short a time as possible */
	for (k = 0; k < folder->nfiles; k++)
		pgm_file_load(folder, &folder->files[k]);

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "pg_migrate: SPI_connect failed");
	pgm_lock_xact();
	pgm_version_table_read(vt);
	return pgm_plan_build(folder, pgm_history_load(), vt);
}

void
pgm_apply_folder(const char *dir, const PgmApplyOptions *opts,
				 PgmAppliedCallback emit, void *arg)
{
	PgmVersionTable vt;
	PgmPlan    *plan;
	ApplyState	state;
	PgmScript **scripts;
	MemoryContext *contexts;
	int			npending = 0;
	int			k;

	plan = pgm_plan_locked(dir, &vt);
	pgm_refuse_drift(plan, &vt, opts);

	memset(&state, 0, sizeof(state));
	pgm_history_writer_init(&state.writer, dir, NULL);
	state.emit = emit;
	state.emit_arg = arg;

	/* parse everything pending before running anything */
	scripts = palloc0(sizeof(PgmScript *) * Max(plan->n, 1));
	contexts = palloc0(sizeof(MemoryContext) * Max(plan->n, 1));
	for (k = 0; k < plan->n; k++)
	{
		PgmPlanItem *item = &plan->items[k];
		bool		runs = pgm_plan_item_runs(item, opts);
		MemoryContext oldcontext;

		if (!runs)
		{
			if (item->file != NULL)
				pgm_file_release(item->file);
			continue;
		}
		contexts[npending] = AllocSetContextCreate(CurrentMemoryContext,
												   "pg_migrate migration",
												   ALLOCSET_DEFAULT_SIZES);
		oldcontext = MemoryContextSwitchTo(contexts[npending]);
		scripts[npending] = pgm_script_parse(item->file);
		MemoryContextSwitchTo(oldcontext);
		refuse_no_transaction(scripts[npending]);
		npending++;
	}

	pgm_record_adoption(plan, &state.writer);

	for (k = 0; k < npending; k++)
	{
		PgmFile    *file = scripts[k]->file;
		double		ms;

		ms = pgm_exec_migration(scripts[k], record_applied, &state);
		if (emit != NULL)
			emit(file->version, file->name, ms, arg);
		if (!plan->has_applied || file->version > plan->max_applied)
		{
			plan->has_applied = true;
			plan->max_applied = file->version;
		}
		MemoryContextDelete(contexts[k]);
		pgm_file_release(file);
	}

	pgm_history_batch_flush(&state.writer, &state.batch);

	/* never lower a version another tool set above our files */
	if (plan->has_applied)
		pgm_version_table_write(&vt, (vt.has_row && vt.version > plan->max_applied) ?
								vt.version : plan->max_applied);

	if (SPI_finish() != SPI_OK_FINISH)
		elog(ERROR, "pg_migrate: SPI_finish failed");
}
