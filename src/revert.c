/*-------------------------------------------------------------------------
 *
 * revert.c
 *	  Going down: revert the newest applied migrations with their down
 *	  migrations, inside the caller's transaction (migrate_down and the
 *	  down half of migrate_to).
 *
 * The same order of work as apply.c, so that nothing runs unless
 * everything can:
 *   1. scan and hash the folder, take the migration lock, read the history
 *      and the tool's table (pgm_plan_prepare);
 *   2. refuse a dirty tool table (as golang-migrate's down does), a tool
 *      table that says applied a version above every migration of the
 *      folder (golang-migrate has no file to revert it with), and any
 *      migration to revert that has no down migration, all named at once;
 *   3. read and parse every down migration (lint's refusals included);
 *   4. run them newest first, each between the tool's in-flight mark and
 *      its record (track.h: going down), with a "reverted" history row.
 *
 * "Newest" is by version, as golang-migrate's down goes: a version applied
 * out of order is reverted in version order too.  A steps count larger
 * than what is applied reverts everything (golang-migrate's down -all),
 * and then Flyway's repeatable migrations are pending again
 * (reset_repeatables).
 *
 * A down migration is a PgmSource: a file of its own (golang-migrate's
 * .down.sql, diesel's down.sql) or a byte range of the up file (dbmate's
 * and goose's down sections).  It is read into a PgmFile of its own, named
 * by its source's file, so the parser and the executor (script.c,
 * exec_spi.c) and their error context work on it unchanged; a byte range
 * is kept by blanking every other byte but newlines, so the lines and
 * columns reported are those of the file.
 *
 * Memory: each down migration's bytes and parse trees live in a context
 * of their own, deleted once it has run.
 *
 * IDENTIFICATION
 *	  src/revert.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "batch.h"
#include "executor/spi.h"
#include "exec_spi.h"
#include "history.h"
#include "lib/stringinfo.h"
#include "lint.h"
#include "lock.h"
#include "plan.h"
#include "revert.h"
#include "script.h"
#include "utils/memutils.h"

#define MAX_LISTED_FILES 10

static const PgmFailHints parse_hints = {
	.fix = "Fix the down migration and call again; nothing was reverted, since every down migration is parsed before any runs.",
};
static const PgmFailHints run_hints = {
	.fix = "Fix the down migration and call again; nothing from this call was reverted.",
	.out_of_locks = "Reverting holds a lock on every object the down migrations touch until the call commits (max_locks_per_transaction = %d). "
	"Revert fewer migrations per call with migrate_down's steps argument.",
};

static bool
is_applied(const PgmPlanItem *item)
{
	return item->state == PGM_STATE_APPLIED || item->state == PGM_STATE_MODIFIED ||
		item->state == PGM_STATE_MISSING;
}

/* golang-migrate refuses to go down from a dirty table; so does this. */
static void
refuse_dirty(PgmPlan *plan)
{
	PgmTracked *t = &plan->tracked;

	pgm_track_check_revert(t->tracker);
	if (!(t->exists && t->dirty))
		return;
	pgm_plan_check_dirty(plan); /* another tool's failure */
	if (t->dirty_in_flight)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("migration " INT64_FORMAT " is part-way through a run that commits as it goes",
						t->dirty_version),
				 errdetail("%s says version " INT64_FORMAT " is in flight, and pgmigrate.progress holds the statements that ran.",
						   t->table, t->dirty_version),
				 errhint("Let the run finish (CALL migrate_run, or the background worker, resumes it), then revert.")));
	ereport(ERROR,
			(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
			 errmsg("migration " INT64_FORMAT " failed and is not cleared", t->dirty_version),
			 errdetail("%s has dirty = true at version " INT64_FORMAT ", which pg_migrate recorded as failed.",
					   t->table, t->dirty_version),
			 errhint("Apply the fixed migration, or clear the failed attempt with migrate_repair, then revert.")));
}

/* golang-migrate could not go down from a version it has no file for. */
static void
refuse_unknown_tool_version(PgmPlan *plan)
{
	PgmTracked *t = &plan->tracked;

	if (t->exists && !t->exact && t->has_upto &&
		(!plan->has_applied || t->upto > plan->max_applied))
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("%s says version " INT64_FORMAT " is applied, which is not a migration of the folder",
						t->table, t->upto),
				 errdetail("Reverting starts from the highest applied version, and the folder has no down migration for it."),
				 errhint("Revert it with the folder it came from, or call migrate_force with the version the schema matches.")));
}

/* migrate_to's version: 0 (nothing applied) or a migration of the folder. */
static void
check_to_version(PgmPlan *plan, int64 to)
{
	int			k;

	if (to == 0)
		return;
	for (k = 0; k < plan->n; k++)
		if (plan->items[k].version == to && plan->items[k].file != NULL)
			return;
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("version " INT64_FORMAT " is not a migration of the folder", to),
			 errhint("Give the version of a migration file of the folder, or 0 for no migration applied; migrate_status lists them.")));
}

/* "2_b.up.sql" -> "2_b.down.sql": golang-migrate's pair; NULL otherwise. */
static char *
expected_down_name(const char *up)
{
	size_t		len = strlen(up);
	const char *suffix = ".up.sql";
	size_t		slen = strlen(suffix);

	if (len <= slen || strcmp(up + len - slen, suffix) != 0)
		return NULL;
	return psprintf("%.*s.down.sql", (int) (len - slen), up);
}

/* Every migration to revert has a down migration, or an ERROR naming them. */
static void
refuse_missing_down(PgmPlanItem **sel, int nsel)
{
	StringInfoData list;
	const char *first = NULL;
	int			count = 0;
	int			k;

	initStringInfo(&list);
	for (k = 0; k < nsel; k++)
	{
		PgmPlanItem *item = sel[k];
		char	   *expected;

		if (item->file != NULL && item->file->down.filename != NULL)
			continue;
		if (count < MAX_LISTED_FILES)
		{
			if (count > 0)
				appendStringInfoString(&list, ", ");
			if (item->file == NULL)
				appendStringInfo(&list, "version " INT64_FORMAT " (\"%s\"), whose files are gone",
								 item->version, item->name);
			else if ((expected = expected_down_name(item->file->filename)) != NULL)
				appendStringInfo(&list, "\"%s\" (no \"%s\")", item->file->filename, expected);
			else
				appendStringInfo(&list, "\"%s\"", item->file->filename);
		}
		if (first == NULL)
			first = item->file ? item->file->filename : item->name;
		count++;
	}
	if (count == 0)
		return;
	if (count > MAX_LISTED_FILES)
		appendStringInfo(&list, " and %d more", count - MAX_LISTED_FILES);
	ereport(ERROR,
			(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
			 count == 1 ?
			 errmsg("migration \"%s\" has no down migration", first) :
			 errmsg("%d migrations to revert have no down migration", count),
			 errdetail("Reverting runs each migration's down migration; the folder has none for: %s.",
					   list.data),
			 errhint("Add the down migrations to the folder, or revert fewer migrations; nothing was reverted.")));
}

/*
 * A byte range [start, end) of a file: every other byte but newlines
 * becomes a space, so the parser sees only the range, at its own lines.
 */
static void
keep_range(PgmFile *file, size_t start, size_t end)
{
	size_t		i;

	if (end == 0 || end > file->len)
		end = file->len;
	if (start > end)
		start = end;
	for (i = 0; i < file->len; i++)
		if ((i < start || i >= end) && file->body[i] != '\n')
			file->body[i] = ' ';
}

/* The down migration of up, read and checked like any migration file. */
static PgmFile *
load_down(PgmFolder *folder, const PgmFile *up)
{
	PgmFile    *down = palloc0(sizeof(PgmFile));

	down->version = up->version;
	down->version_text = up->version_text;
	down->name = up->name;
	down->filename = up->down.filename;
	down->up = up->down;
	pgm_file_load(folder, down);
	if (up->down.start > 0 || (up->down.end > 0 && up->down.end < down->len))
		keep_range(down, up->down.start, up->down.end);
	return down;
}

/* This path runs in the caller's transaction: it cannot run these. */
static void
refuse_no_transaction(PgmScript *script)
{
	if (!script->no_transaction)
		return;
	ereport(ERROR,
			(errcode(ERRCODE_ACTIVE_SQL_TRANSACTION),
			 errmsg("down migration \"%s\" cannot run inside a transaction block",
					script->file->filename),
			 errdetail("It holds %s; reverting runs inside the caller's transaction.",
					   script->no_transaction_reason),
			 errhint("Run its statements by hand, then call migrate_force with the version the schema matches."),
			 errcontext("migration file \"%s\", line %d",
						script->file->filename, script->no_transaction_line)));
}

/*
 * A revert of every applied migration (a reset) makes the repeatable ones
 * pending again: the objects they create depend on what was reverted, and
 * the next apply must create them again.  Nothing runs (a repeatable
 * migration has no down); each is recorded reverted.  Flyway's table keeps
 * their runs, as Flyway's undo does; its newest run is not adopted over our
 * revert (plan.c).  A partial revert leaves them alone, as Flyway's undo
 * does.
 */
static void
reset_repeatables(PgmPlan *plan, PgmHistoryWriter *writer)
{
	int			k;

	for (k = 0; k < plan->nrepeatables; k++)
	{
		PgmPlanItem *item = &plan->repeatables[k];

		if (item->state == PGM_STATE_APPLIED || item->state == PGM_STATE_MISSING)
			pgm_history_record(writer, PGM_HIST_REVERTED, item->version, item->name,
							   item->file, -1, NULL);
	}
}

void
pgm_revert_folder(const char *dir, const PgmRevertOptions *opts,
				  PgmAppliedCallback emit, void *arg)
{
	PgmPlan    *plan;
	PgmHistoryWriter writer;
	PgmPlanItem **applied;
	PgmScript **scripts;
	MemoryContext *contexts;
	int			napplied = 0;
	int			nsel = 0;
	int			k;

	pgm_run_enter();
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	plan = pgm_plan_prepare(dir, PGM_LOCK_XACT);

	/* the applied migrations, newest first; no up migration runs here */
	applied = palloc0(sizeof(PgmPlanItem *) * Max(plan->n, 1));
	for (k = plan->n - 1; k >= 0; k--)
	{
		PgmPlanItem *item = &plan->items[k];

		if (item->file != NULL)
			pgm_file_release(item->file);
		if (is_applied(item))
			applied[napplied++] = item;
	}

	if (opts->has_to)
		check_to_version(plan, opts->to);
	if (opts->all)
		nsel = napplied;
	else if (opts->has_to)
		while (nsel < napplied && applied[nsel]->version > opts->to)
			nsel++;
	else
		nsel = Min(opts->steps, napplied);

	if (nsel > 0)
	{
		refuse_dirty(plan);
		refuse_unknown_tool_version(plan);
		refuse_missing_down(applied, nsel);
	}

	/* read and parse every down migration before running any */
	scripts = palloc0(sizeof(PgmScript *) * Max(nsel, 1));
	contexts = palloc0(sizeof(MemoryContext) * Max(nsel, 1));
	for (k = 0; k < nsel; k++)
	{
		MemoryContext oldcontext;

		contexts[k] = AllocSetContextCreate(CurrentMemoryContext,
											"pg_migrate down migration",
											ALLOCSET_DEFAULT_SIZES);
		oldcontext = MemoryContextSwitchTo(contexts[k]);
		scripts[k] = pgm_script_parse(load_down(plan->folder, applied[k]->file),
									  &parse_hints);
		pgm_lint_enforce(scripts[k]);
		MemoryContextSwitchTo(oldcontext);
		refuse_no_transaction(scripts[k]);
	}

	pgm_history_writer_init(&writer, dir, NULL);
	pgm_plan_record_adoption(plan, &writer);

	for (k = 0; k < nsel; k++)
	{
		PgmPlanItem *item = applied[k];
		bool		has_prev = k + 1 < napplied;
		int64		prev = has_prev ? applied[k + 1]->version : 0;
		double		ms;

		pgm_track_revert_begin(&plan->tracked, item->version, has_prev, prev);
		ms = scripts[k]->batch ? pgm_batch_run_atomic(scripts[k], &run_hints) :
			pgm_exec_migration(scripts[k], &run_hints);
		pgm_track_reverted(&plan->tracked, item->version, has_prev, prev);
		pgm_history_record(&writer, PGM_HIST_REVERTED, item->version, item->name,
						   item->file, ms, NULL);
		if (emit != NULL)
			emit(item->version, item->name, ms, arg);
		MemoryContextDelete(contexts[k]);
	}
	if (nsel > 0 && nsel == napplied)
		reset_repeatables(plan, &writer);

	k = SPI_finish();
	if (k != SPI_OK_FINISH)
		elog(ERROR, "SPI_finish failed: %s", SPI_result_code_string(k));
	pgm_run_leave();
}
