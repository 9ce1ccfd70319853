/*-------------------------------------------------------------------------
 *
 * validate.c
 *	  Report every problem of a folder at once, applying nothing.
 *
 * The checks are the very ones migrate_apply runs: file loading and parsing
 * raise the same errors, caught here one file at a time in an internal
 * subtransaction and turned into rows, so validate and apply can never
 * disagree about a file.  The plan (plan.c) gives drift and ordering.
 *
 * No advisory lock is taken and nothing is executed: the history is read
 * with an ordinary snapshot, so validate never waits for a running apply.
 *
 * IDENTIFICATION
 *	  src/validate.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "executor/spi.h"
#include "folder.h"
#include "errctx.h"
#include "history.h"
#include "lint.h"
#include "plan.h"
#include "script.h"
#include "unit.h"
#include "utils/memutils.h"
#include "validate.h"

/* Problems are rows, not errors: no hint is shown. */
static const PgmFailHints validate_hints = {
	.fix = "Fix the migration file.",
};

typedef struct CheckArgs
{
	PgmFolder  *folder;
	PgmFile    *file;
	MemoryContext cxt;			/* the parse trees, deleted after the file */
	char	   *transaction_problem;	/* out: why migrate_apply refuses it */
} CheckArgs;

/*
 * Parses the file as migrate_apply does: a big file a piece at a time
 * (script.h), each piece's trees freed before the next is parsed, so the
 * memory a file takes is bounded by a piece, not by the file; every piece
 * is parsed and passes lint's refusals, so a syntax error anywhere is
 * found.
 */
static void
load_and_parse(void *arg)
{
	CheckArgs  *a = (CheckArgs *) arg;
	MemoryContext caller = CurrentMemoryContext;
	PgmScript  *script;
	char	   *problem;

	pgm_file_load(a->folder, a->file);
	MemoryContextSwitchTo(a->cxt);
	script = pgm_script_parse_lazy(a->file, &validate_hints);
	pgm_lint_enforce(script);
	problem = pgm_script_transaction_problem(script);
	while (pgm_script_next_piece(script, &validate_hints))
		pgm_lint_enforce(script);
	MemoryContextSwitchTo(caller);
	a->transaction_problem = problem ? pstrdup(problem) : NULL;
	pgm_file_release(a->file);
}

/* Loads and parses one file; an error becomes a problem row. */
static void
check_file(PgmFolder *folder, PgmFile *file, List **problems)
{
	CheckArgs	args = {folder, file, NULL, NULL};
	ErrorData  *edata;

	args.cxt = AllocSetContextCreate(CurrentMemoryContext, "pg_migrate validate",
									 ALLOCSET_DEFAULT_SIZES);
	edata = pgm_try_subxact(load_and_parse, &args);
	MemoryContextDelete(args.cxt);

	if (edata == NULL)
	{
		/* runs with migrate_apply_async and the worker, not migrate_apply */
		if (args.transaction_problem != NULL)
			pgm_problem_add(problems, file->filename, !file->repeatable, file->version,
							PGM_SEVERITY_WARNING, args.transaction_problem);
		return;
	}
	file->loaded = false;
	file->body = NULL;
	pgm_problem_add(problems, file->filename, !file->repeatable, file->version, PGM_SEVERITY_ERROR,
					pgm_error_summary(edata, false));
	FreeErrorData(edata);
}

/*
 * A repeatable migration is never modified or out of order; one whose file
 * is gone refuses nothing (as in Flyway) and is a warning.
 */
static void
check_repeatable(PgmPlanItem *item, List **problems)
{
	const char *file = item->file ? item->file->filename : NULL;

	if (item->state == PGM_STATE_MISSING)
		pgm_problem_add(problems, NULL, false, 0, "warning",
						psprintf("applied repeatable migration \"%s\" has no file in the folder; it is not run again",
								 item->name));
	else if (item->state == PGM_STATE_FAILED)
		pgm_problem_add(problems, file, false, 0, "warning",
						"the last attempt to apply this repeatable migration failed; the next run retries it");
}

static void
check_plan(PgmPlan *plan, List **problems)
{
	PgmTracked *t = &plan->tracked;
	int			k;

	/* our own run's mark while a migration is in flight is no refusal */
	if (t->exists && t->dirty && !t->dirty_in_flight)
		pgm_problem_add(problems, NULL, true, t->dirty_version, "error",
						psprintf("%s is dirty at version " INT64_FORMAT "; migrate_apply refuses to run until it is cleared",
								 t->table ? t->table : t->tracker->table, t->dirty_version));

	for (k = 0; k < pgm_plan_count(plan); k++)
	{
		PgmPlanItem *item = pgm_plan_item(plan, k);
		const char *file = item->file ? item->file->filename : NULL;

		if (item->version == PGM_VERSION_REPEATABLE)
		{
			check_repeatable(item, problems);
			continue;
		}
		switch (item->state)
		{
			case PGM_STATE_MODIFIED:
				pgm_problem_add(problems, file, true, item->version, "error",
								psprintf("applied migration was modified: the history has checksum %s, the file has %s",
										 item->hist->checksum, item->file->checksum));
				break;
			case PGM_STATE_MISSING:
				pgm_problem_add(problems, file, true, item->version, "error",
								psprintf("applied migration \"%s\" has no file in the folder",
										 item->name));
				break;
			case PGM_STATE_OUT_OF_ORDER:
				pgm_problem_add(problems, file, true, item->version, "error",
								psprintf("pending migration is below the highest applied version " INT64_FORMAT,
										 plan->max_applied));
				break;
			case PGM_STATE_FAILED:
				pgm_problem_add(problems, file, true, item->version, "warning",
								"the last attempt to apply this migration failed; the next run retries it");
				break;
			case PGM_STATE_PENDING:
			case PGM_STATE_APPLIED:
				break;
		}
	}
}

List *
pgm_validate_folder(const char *dir)
{
	List	   *problems = NIL;
	PgmFolder  *folder;
	PgmPlan    *plan;
	MemoryContext caller;
	int			k;

	folder = pgm_folder_scan(dir, &problems);
	for (k = 0; k < folder->nfiles; k++)
		check_file(folder, &folder->files[k], &problems);
	for (k = 0; k < folder->nrepeatables; k++)
		check_file(folder, &folder->repeatables[k], &problems);

	caller = CurrentMemoryContext;
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	/* the problems must outlive SPI_finish */
	MemoryContextSwitchTo(caller);
	plan = pgm_plan_read(folder);
	check_plan(plan, &problems);
	k = SPI_finish();
	if (k != SPI_OK_FINISH)
		elog(ERROR, "SPI_finish failed: %s", SPI_result_code_string(k));

	return problems;
}
