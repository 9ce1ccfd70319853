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
#include "repair.h"

void
pgm_repair_folder(const char *dir, PgmRepairCallback emit, void *arg)
{
	PgmPlan    *plan;
	PgmHistoryWriter writer;
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

	k = SPI_finish();
	if (k != SPI_OK_FINISH)
		elog(ERROR, "SPI_finish failed: %s", SPI_result_code_string(k));
}
