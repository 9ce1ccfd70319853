/*-------------------------------------------------------------------------
 *
 * dry_run.c
 *	  migrate_apply(..., dry_run => true): the pending migrations run for
 *	  real inside a subtransaction, which is then rolled back.
 *
 * What a dry run proves is what the real run would do in this database
 * now: the same pipeline (apply.c) runs every pending migration, with its
 * errors exactly as a real run raises them (SQLSTATE, message, file and
 * line), and its timings.  Then the subtransaction is rolled back: the
 * objects, the history rows and the tool's table are as they were.
 *
 * One subtransaction around the whole run, not one per migration
 * (conventions: past 64 subtransactions every session's snapshots slow
 * down).  Memory context and resource owner are restored after the roll
 * back as pl_exec.c does, and the error is re-thrown, so a caller's own
 * exception block (PL/pgSQL) sees the original error and a clean state.
 *
 * The result rows are collected in the caller's memory and written to the
 * tuplestore only after the roll back: a tuplestore that spilled to a
 * temporary file inside the subtransaction would have that file closed by
 * the subtransaction's resource owner.
 *
 * The migration lock: taken before the subtransaction, so that it is
 * held, like migrate_apply's, until the caller's transaction ends (a lock
 * taken inside a subtransaction is released by its roll back).  Two dry
 * runs, or a dry run and a real run, are serialised like two real runs,
 * and a dry run followed by a real run in one transaction sees the same
 * state.
 *
 * IDENTIFICATION
 *	  src/dry_run.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "dry_run.h"
#include "executor/spi.h"
#include "lock.h"
#include "nodes/pg_list.h"
#include "unit.h"
#include "utils/memutils.h"

typedef struct DryRow
{
	int64		version;
	char	   *name;
	double		duration_ms;
} DryRow;

typedef struct DryRun
{
	const char *dir;
	const PgmPlanOptions *opts;
	MemoryContext cxt;			/* the caller's: survives the roll back */
	List	   *rows;
} DryRun;

static void
collect(int64 version, const char *name, double duration_ms, void *arg)
{
	DryRun	   *d = (DryRun *) arg;
	MemoryContext oldcontext = MemoryContextSwitchTo(d->cxt);
	DryRow	   *row = palloc(sizeof(DryRow));

	row->version = version;
	row->name = pstrdup(name);
	row->duration_ms = duration_ms;
	d->rows = lappend(d->rows, row);
	MemoryContextSwitchTo(oldcontext);
}

static void
lock_for_transaction(void)
{
	int			rc;

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	pgm_lock_xact();
	rc = SPI_finish();
	if (rc != SPI_OK_FINISH)
		elog(ERROR, "SPI_finish failed: %s", SPI_result_code_string(rc));
}

/* The real run, inside the subtransaction that is then rolled back. */
static void
run_folder(void *arg)
{
	DryRun	   *d = (DryRun *) arg;

	pgm_apply_folder(d->dir, d->opts, collect, d);
}

void
pgm_apply_folder_dry_run(const char *dir, const PgmPlanOptions *opts,
						 PgmAppliedCallback emit, void *arg)
{
	DryRun		d;
	ListCell   *lc;

	d.cxt = CurrentMemoryContext;
	d.rows = NIL;
	d.dir = dir;
	d.opts = opts;

	lock_for_transaction();

	/* its error, if any, is raised again unchanged after the roll back */
	pgm_rolled_back_subxact(run_folder, &d);

	foreach(lc, d.rows)
	{
		DryRow	   *row = (DryRow *) lfirst(lc);

		emit(row->version, row->name, row->duration_ms, arg);
	}
}
