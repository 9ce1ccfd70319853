/*-------------------------------------------------------------------------
 *
 * baseline.c
 *	  migrate_baseline: an existing database adopts pg_migrate.  Every
 *	  migration of the folder up to a version is recorded as applied
 *	  without running it.
 *
 * Flyway's baseline and golang-migrate's force, for a whole prefix of the
 * folder: the schema is already there, so nothing runs.  Under the
 * migration lock, in the caller's transaction:
 *   - the version must be a migration of the folder;
 *   - a dirty tool table is refused, as every change is (plan.c's gate);
 *   - nothing at or below the version may be applied (it would be recorded
 *     twice) or failed (its failure is not the schema's state): the call is
 *     refused naming them, with what to do instead;
 *   - each pending migration up to the version gets a "baselined" history
 *     row, applied_by the caller and a note saying it did not run, with
 *     the file's checksum, so a later edit shows as modified;
 *   - the tool's table follows track.h's one rule, as if they had run
 *     (golang-migrate: (version, false), never lower than what it says).
 * Versions above it are untouched: migrate_apply applies them next.
 *
 * IDENTIFICATION
 *	  src/baseline.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "baseline.h"
#include "executor/spi.h"
#include "history.h"
#include "lib/stringinfo.h"
#include "lock.h"
#include "plan.h"

#define MAX_LISTED_FILES 10

/* Names of the items up to version in one of two states, or NULL. */
static char *
files_up_to(PgmPlan *plan, int64 version, PgmState s1, PgmState s2)
{
	StringInfoData files;
	int			count = 0;
	int			k;

	initStringInfo(&files);
	for (k = 0; k < plan->n && plan->items[k].version <= version; k++)
	{
		PgmPlanItem *item = &plan->items[k];

		if (item->state != s1 && item->state != s2)
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
		return NULL;
	if (count > MAX_LISTED_FILES)
		appendStringInfo(&files, " and %d more", count - MAX_LISTED_FILES);
	return files.data;
}

static void
check_baseline(PgmPlan *plan, int64 version)
{
	char	   *files;
	bool		found = false;
	int			k;

	for (k = 0; k < plan->n; k++)
		if (plan->items[k].version == version && plan->items[k].file != NULL)
			found = true;
	if (!found)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("version " INT64_FORMAT " is not a migration of the folder", version),
				 errhint("Give the version of the newest migration file whose changes the database already has; migrate_status lists them.")));

	pgm_plan_check_dirty(plan);

	files = files_up_to(plan, version, PGM_STATE_FAILED, PGM_STATE_FAILED);
	if (files != NULL)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("cannot baseline up to version " INT64_FORMAT ": migrations up to it failed in an earlier run", version),
				 errdetail("Failed: %s.", files),
				 errhint("Clear the failed attempts with migrate_repair once the schema matches what the files would have made, then baseline again.")));

	files = files_up_to(plan, version, PGM_STATE_APPLIED, PGM_STATE_MODIFIED);
	if (files == NULL)
		files = files_up_to(plan, version, PGM_STATE_MISSING, PGM_STATE_MISSING);
	if (files != NULL)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("cannot baseline up to version " INT64_FORMAT ": migrations up to it are already applied", version),
				 errdetail("Applied: %s.", files),
				 errhint("A baseline records migrations that never ran through pg_migrate. Apply the pending ones with migrate_apply, or baseline from a version above the highest applied one.")));
}

void
pgm_baseline_folder(const char *dir, int64 version, PgmAppliedCallback emit, void *arg)
{
	PgmPlan    *plan;
	PgmHistoryWriter writer;
	int			k;

	pgm_run_enter();
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	plan = pgm_plan_prepare(dir, PGM_LOCK_XACT);
	check_baseline(plan, version);

	pgm_history_writer_init(&writer, dir, NULL);
	pgm_plan_record_adoption(plan, &writer);
	writer.note = psprintf("baselined by migrate_baseline(" INT64_FORMAT "): recorded as applied without running",
						   version);

	for (k = 0; k < plan->n && plan->items[k].version <= version; k++)
	{
		PgmPlanItem *item = &plan->items[k];

		if (item->file == NULL ||
			(item->state != PGM_STATE_PENDING && item->state != PGM_STATE_OUT_OF_ORDER))
			continue;
		pgm_history_record(&writer, PGM_HIST_BASELINED, item->version, item->name,
						   item->file, -1, NULL);
		pgm_plan_applied(plan, item->file);
		if (emit != NULL)
			emit(item->version, item->name, -1, arg);
		pgm_file_release(item->file);
	}
	pgm_plan_track_flush(plan);

	k = SPI_finish();
	if (k != SPI_OK_FINISH)
		elog(ERROR, "SPI_finish failed: %s", SPI_result_code_string(k));
	pgm_run_leave();
}
