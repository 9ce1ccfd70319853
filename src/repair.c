/*-------------------------------------------------------------------------
 *
 * repair.c
 *	  Realign recorded checksums with the files and clear failed attempts.
 *
 * Like Flyway's repair: a human has checked that a modified file's change
 * is harmless (a comment, white space) and wants the history to match the
 * folder again.  The history stays append-only: a "repaired" row carries the
 * new checksum and counts as applied; a "cleared" row makes a failed
 * version pending again.  Takes the migration lock, like migrate_apply.
 *
 * A repair follows a human's check of the database, often a hand repair of
 * what a failed no-transaction migration left half done: so the progress
 * such migrations recorded is forgotten too (every row, each reported),
 * and their retry starts at their first statement instead of resuming
 * past statements that may no longer have taken effect.
 *
 * IDENTIFICATION
 *	  src/repair.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "executor/spi.h"
#include "folder.h"
#include "history.h"
#include "plan.h"
#include "progress.h"
#include "repair.h"

typedef struct ClearedArgs
{
	PgmPlan    *plan;
	PgmRepairCallback emit;
	void	   *arg;
} ClearedArgs;

/* Reports a progress row forgotten, with the migration's name if known. */
static void
progress_cleared(int64 version, const char *direction, int done, void *arg)
{
	ClearedArgs *a = (ClearedArgs *) arg;
	const char *name = "";
	int			k;

	for (k = 0; k < a->plan->n; k++)
		if (a->plan->items[k].version == version)
		{
			name = a->plan->items[k].name;
			break;
		}
	if (strcmp(direction, PGM_DIRECTION_UP) == 0)
		a->emit(version, name,
				psprintf("progress cleared: %d statements had run", done), a->arg);
	else
		a->emit(version, name,
				psprintf("progress of the down migration cleared: %d statements had run", done),
				a->arg);
}

void
pgm_repair_folder(const char *dir, PgmRepairCallback emit, void *arg)
{
	PgmPlan    *plan;
	PgmHistoryWriter writer;
	ClearedArgs cleared;
	int			k;

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	plan = pgm_plan_prepare(dir, PGM_LOCK_XACT);

	pgm_history_writer_init(&writer, dir, NULL);

	for (k = 0; k < plan->n; k++)
	{
		PgmPlanItem *item = &plan->items[k];

		if (item->state == PGM_STATE_MODIFIED)
		{
			pgm_history_record(&writer, PGM_HIST_REPAIRED, item->version, item->name,
							   item->file, -1, NULL);
			emit(item->version, item->name, "checksum realigned", arg);
		}
		else if (item->hist != NULL && strcmp(item->hist->state, PGM_HIST_FAILED) == 0)
		{
			pgm_history_record(&writer, PGM_HIST_CLEARED, item->version, item->name,
							   item->file, -1, NULL);
			emit(item->version, item->name, "failed attempt cleared", arg);
		}
	}

	cleared.plan = plan;
	cleared.emit = emit;
	cleared.arg = arg;
	(void) pgm_progress_clear_all(progress_cleared, &cleared);

	k = SPI_finish();
	if (k != SPI_OK_FINISH)
		elog(ERROR, "SPI_finish failed: %s", SPI_result_code_string(k));
}
