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

#include "access/xact.h"
#include "executor/spi.h"
#include "folder.h"
#include "history.h"
#include "plan.h"
#include "script.h"
#include "utils/resowner.h"
#include "validate.h"

void
pgm_problem_add(List **problems, const char *file, bool has_version,
				int64 version, const char *severity, const char *problem)
{
	PgmProblem *p = palloc0(sizeof(PgmProblem));

	p->file = file ? pstrdup(file) : NULL;
	p->has_version = has_version;
	p->version = version;
	p->severity = severity;
	p->problem = pstrdup(problem);
	*problems = lappend(*problems, p);
}

/* Loads and parses one file; an error becomes a problem row. */
static void
check_file(PgmFolder *folder, PgmFile *file, List **problems)
{
	MemoryContext oldcontext = CurrentMemoryContext;
	ResourceOwner oldowner = CurrentResourceOwner;

	BeginInternalSubTransaction(NULL);
	MemoryContextSwitchTo(oldcontext);
	PG_TRY();
	{
		pgm_file_load(folder, file);
		(void) pgm_script_parse(file);
		pgm_file_release(file);

		ReleaseCurrentSubTransaction();
		MemoryContextSwitchTo(oldcontext);
		CurrentResourceOwner = oldowner;
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

		/* a cancel or an out-of-memory is not a problem of the file */
		if (ERRCODE_TO_CATEGORY(edata->sqlerrcode) == ERRCODE_OPERATOR_INTERVENTION ||
			ERRCODE_TO_CATEGORY(edata->sqlerrcode) == ERRCODE_INSUFFICIENT_RESOURCES)
			ReThrowError(edata);

		file->loaded = false;
		file->body = NULL;
		pgm_problem_add(problems, file->filename, true, file->version, "error",
						edata->detail ? psprintf("%s. %s", edata->message, edata->detail) :
						edata->message);
		FreeErrorData(edata);
	}
	PG_END_TRY();
}

static void
check_plan(PgmPlan *plan, PgmVersionTable *vt, List **problems)
{
	int			k;

	if (vt->exists && vt->has_row && vt->dirty)
		pgm_problem_add(problems, NULL, true, vt->version, "error",
						psprintf("public.schema_migrations is dirty at version " INT64_FORMAT "; migrate_apply refuses to run until it is cleared",
								 vt->version));

	for (k = 0; k < plan->n; k++)
	{
		PgmPlanItem *item = &plan->items[k];
		const char *file = item->file ? item->file->filename : NULL;

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
	PgmHistory *hist;
	PgmVersionTable vt;
	PgmPlan    *plan;
	MemoryContext caller;
	int			k;

	folder = pgm_folder_scan(dir, &problems);
	for (k = 0; k < folder->nfiles; k++)
		check_file(folder, &folder->files[k], &problems);

	caller = CurrentMemoryContext;
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "pg_migrate: SPI_connect failed");
	/* the problems must outlive SPI_finish */
	MemoryContextSwitchTo(caller);
	pgm_version_table_read(&vt);
	hist = pgm_history_load();
	plan = pgm_plan_build(folder, hist, &vt);
	check_plan(plan, &vt, &problems);
	if (SPI_finish() != SPI_OK_FINISH)
		elog(ERROR, "pg_migrate: SPI_finish failed");

	return problems;
}
