/*-------------------------------------------------------------------------
 *
 * plan.c
 *	  Merge the folder, pgmigrate.history and the tool's tracking table into
 *	  one ordered list of migrations with a state each; the gate; and the
 *	  preparation step shared by the function path and the worker path.
 *
 * The plan is a pure function of its inputs: migrate_status shows it and
 * every apply path acts on it, so they never disagree.  Repeatable
 * migrations (Flyway's R__ files) are merged apart, by name
 * (plan_repeatable.c), and run after the versioned ones.
 *
 * The tool's table (track.h) is the tool's contract and wins where it
 * differs from the history, so users can switch tools in and out:
 *   - it says applied a version our history does not: that version was
 *     applied by the tool and is recorded as baselined, not run.  With
 *     golang-migrate's single row ("everything up to V") this is inferred
 *     only above the highest version we applied, since the row cannot show
 *     the holes out-of-order runs leave below it;
 *   - it no longer says applied a version we applied (golang-migrate
 *     "down", Encore's manual "UPDATE schema_migrations SET version = ..."):
 *     recorded as reverted, pending again;
 *   - the table exists and says nothing is applied: everything we applied
 *     is reverted (golang-migrate's NilVersion).
 * A missing table is not a roll back: it is recreated from the history.
 * A dirty version V (the tool failed part-way through V) is failed.  When
 * the failure was ours (V's newest history row says failed) the table says
 * nothing we do not know, and nothing is adopted from it: in particular V
 * is never baselined.
 *
 * Before each migration runs, the tool's table says it is in flight, as
 * the tool itself would (golang-migrate: (V, dirty = true)); see
 * pgm_plan_begin.  In the caller's transaction and in a worker's
 * transactional migration that mark commits, if at all, only replaced by
 * the migration's record.  A no-transaction migration commits statement by
 * statement, so the mark commits before its first statement, together with
 * a pgmigrate.progress row for V; after a crash or cancel in that window
 * the table says (V, dirty) while pgmigrate.progress has V's row.  That is
 * our run in flight (PgmTracked.dirty_in_flight): not refused as another
 * tool's dirty state, nothing adopted from it, V pending, and the next
 * worker run resumes V from its progress.  golang-migrate, which reads only
 * its table, refuses it as dirty at V, which it is until V finishes.
 *
 * IDENTIFICATION
 *	  src/plan.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "lib/stringinfo.h"
#include "executor/spi.h"
#include "flyway_keys.h"
#include "lock.h"
#include "plan.h"
#include "plan_repeatable.h"
#include "progress.h"
#include "safe_sql.h"
#include "utils/builtins.h"
#include "utils/memutils.h"
#include "utils/snapmgr.h"

#define MAX_LISTED_FILES 10

const char *
pgm_state_name(PgmState state)
{
	switch (state)
	{
		case PGM_STATE_PENDING:
			return "pending";
		case PGM_STATE_APPLIED:
			return "applied";
		case PGM_STATE_MODIFIED:
			return "modified";
		case PGM_STATE_MISSING:
			return "missing";
		case PGM_STATE_OUT_OF_ORDER:
			return "out_of_order";
		case PGM_STATE_FAILED:
			return "failed";
	}
	return "unknown";
}

static bool
hist_applied(PgmHistoryEntry *h)
{
	return h != NULL && pgm_history_is_applied_state(h->state);
}

/* Merges folder files and history rows, both sorted by version. */
static void
merge(PgmPlan *plan, PgmFolder *folder, PgmHistory *hist)
{
	int			nfiles = folder ? folder->nfiles : 0;
	int			i = 0;
	int			j = 0;

	plan->items = palloc0(sizeof(PgmPlanItem) * Max(nfiles + hist->n, 1));
	while (i < nfiles || j < hist->n)
	{
		PgmPlanItem *item = &plan->items[plan->n++];
		PgmFile    *f = i < nfiles ? &folder->files[i] : NULL;
		PgmHistoryEntry *h = j < hist->n ? &hist->entries[j] : NULL;

		if (f && h && f->version == h->version)
		{
			item->file = f;
			item->hist = h;
			i++;
			j++;
		}
		else if (f && (!h || f->version < h->version))
		{
			item->file = f;
			i++;
		}
		else
		{
			item->hist = h;
			j++;
		}
		item->version = item->file ? item->file->version : item->hist->version;
		item->name = item->file ? item->file->name : item->hist->name;
	}
}

/*
 * Is V's dirty flag our own failure (its newest history row says failed, or
 * cleared by migrate_repair)?
 */
static bool
dirty_is_ours(PgmPlan *plan)
{
	PgmTracked *t = &plan->tracked;
	int			k;

	if (!(t->exists && t->dirty))
		return false;
	if (t->dirty_in_flight)
		return true;
	for (k = 0; k < plan->n; k++)
		if (plan->items[k].version == t->dirty_version)
			return plan->items[k].hist != NULL &&
				(strcmp(plan->items[k].hist->state, PGM_HIST_FAILED) == 0 ||
				 strcmp(plan->items[k].hist->state, PGM_HIST_CLEARED) == 0);
	return false;
}

static void
adopt_tracked(PgmPlan *plan)
{
	PgmTracked *t = &plan->tracked;
	bool		had_applied = false;
	int64		max_hist = 0;
	int			k;

	if (!t->exists || dirty_is_ours(plan))
		return;

	for (k = 0; k < plan->n; k++)
		if (hist_applied(plan->items[k].hist))
		{
			had_applied = true;
			max_hist = plan->items[k].version;
		}

	for (k = 0; k < plan->n; k++)
	{
		PgmPlanItem *item = &plan->items[k];
		bool		ours = hist_applied(item->hist);
		bool		theirs = pgm_track_is_applied(t, item->version);

		if (ours && !theirs && !pgm_track_is_dirty_at(t, item->version))
			item->adopt = PGM_ADOPT_REVERT;
		else if (!ours && theirs && item->file != NULL &&
				 (t->exact || !had_applied || item->version > max_hist))
			item->adopt = PGM_ADOPT_BASELINE;
	}
}

PgmPlan *
pgm_plan_build(PgmFolder *folder, PgmHistory *hist, PgmTracked *tracked)
{
	PgmPlan    *plan = palloc0(sizeof(PgmPlan));
	int			k;

	pgm_flyway_check_history(folder, hist);
	plan->folder = folder;
	plan->tracked = *tracked;
	plan->backfill = tracked->tracker != NULL && tracked->tracker->per_migration &&
		!tracked->exists;
	merge(plan, folder, hist);
	adopt_tracked(plan);

	/* first pass: what is applied once adoption is recorded */
	for (k = 0; k < plan->n; k++)
	{
		PgmPlanItem *item = &plan->items[k];
		bool		applied = (hist_applied(item->hist) && item->adopt != PGM_ADOPT_REVERT) ||
			item->adopt == PGM_ADOPT_BASELINE;

		if (applied)
		{
			plan->has_applied = true;
			plan->max_applied = item->version;
			if (item->file == NULL && folder != NULL)
				item->state = PGM_STATE_MISSING;
			else if (item->file != NULL && item->file->loaded &&
					 item->adopt == PGM_ADOPT_NONE &&
					 item->hist->checksum != NULL &&
					 strcmp(item->hist->checksum, item->file->checksum) != 0)
				item->state = PGM_STATE_MODIFIED;
			else
				item->state = PGM_STATE_APPLIED;
		}
		else if (item->hist != NULL && strcmp(item->hist->state, PGM_HIST_FAILED) == 0)
			item->state = PGM_STATE_FAILED;
		else if (pgm_track_is_dirty_at(&plan->tracked, item->version) &&
				 !plan->tracked.dirty_in_flight)
			item->state = PGM_STATE_FAILED;
		else
			item->state = PGM_STATE_PENDING;
	}

	/*
	 * Second pass: pending files below the highest applied version are out
	 * of order.  (A reverted version whose file is gone stays pending with
	 * no file: its revert is still recorded, and status does not show it.)
	 */
	for (k = 0; k < plan->n; k++)
	{
		PgmPlanItem *item = &plan->items[k];

		if (item->state == PGM_STATE_PENDING && item->file != NULL &&
			plan->has_applied && item->version < plan->max_applied)
			item->state = PGM_STATE_OUT_OF_ORDER;
	}
	pgm_plan_merge_repeatables(plan, folder, hist);
	return plan;
}

/* The tool's checksum of version, as its table recorded it, or NULL. */
static const char *
tracked_checksum(const PgmTracked *t, int64 version)
{
	int			lo = 0;
	int			hi = t->napplied - 1;

	if (!t->exact || t->checksums == NULL)
		return NULL;
	while (lo <= hi)
	{
		int			mid = lo + (hi - lo) / 2;

		if (t->applied[mid] == version)
			return t->checksums[mid];
		if (t->applied[mid] < version)
			lo = mid + 1;
		else
			hi = mid - 1;
	}
	return NULL;
}

/*
 * A file the tool applied, about to be adopted, whose checksum the tool
 * would find changed is modified here too: adopting it would hide what the
 * tool reports (sqlx's VersionMismatch, Flyway's validate, Prisma's
 * P3008-style warning).
 */
static void
check_adopted_checksums(PgmPlan *plan)
{
	PgmTracked *t = &plan->tracked;
	int			k;

	if (t->tracker == NULL || t->tracker->file_matches == NULL)
		return;
	for (k = 0; k < plan->n; k++)
	{
		PgmPlanItem *item = &plan->items[k];
		const char *recorded;

		if (item->adopt != PGM_ADOPT_BASELINE || item->file == NULL)
			continue;
		recorded = tracked_checksum(t, item->version);
		if (recorded != NULL && !t->tracker->file_matches(t, item->file, recorded))
			item->state = PGM_STATE_MODIFIED;
	}
}

PgmPlan *
pgm_plan_read(PgmFolder *folder)
{
	PgmTracked	tracked;
	PgmPlan    *plan;

	memset(&tracked, 0, sizeof(tracked));
	tracked.tracker = pgm_tracker_for_format(folder ? folder->format : NULL);
	tracked.folder = folder;
	pgm_track_read(&tracked);
	if (tracked.exists && tracked.dirty)
		/* a dirty mark with our progress row is our run, left in flight */
		tracked.dirty_in_flight = pgm_progress_exists(tracked.dirty_version, PGM_DIRECTION_UP);
	plan = pgm_plan_build(folder, pgm_history_load(), &tracked);
	check_adopted_checksums(plan);
	return plan;
}

/*
 * The worker path waits for the lock holding no snapshot, and reads with a
 * snapshot taken after it: a job waiting here must not be a snapshot that
 * another job's CREATE INDEX CONCURRENTLY waits for (a deadlock that kills
 * one of them), and must see what the job it waited for committed.
 */
static void
lock_session_without_snapshot(void)
{
	bool		had_snapshot = ActiveSnapshotSet();

	if (had_snapshot)
		PopActiveSnapshot();
	InvalidateCatalogSnapshot();
	Assert(!FirstSnapshotSet || !IsolationUsesXactSnapshot());
	pgm_lock_session();
	if (had_snapshot)
		PushActiveSnapshot(GetTransactionSnapshot());
}

/*
 * In REPEATABLE READ and SERIALIZABLE the caller's snapshot predates the
 * lock.  If another session applied or recorded migrations since, what
 * this snapshot calls pending is not: refuse with a serialization failure
 * rather than apply anything twice.  (READ COMMITTED reads take a fresh
 * snapshot after the lock.)
 */
static void
refuse_stale_snapshot(void)
{
	const char *sql = "SELECT pg_catalog.count(*), pg_catalog.max(id) FROM pgmigrate.history";
	int			nestlevel;
	SPIPlanPtr	splan;
	int64		count[2] = {0, 0};
	int64		maxid[2] = {0, 0};
	int			i;

	if (!IsolationUsesXactSnapshot())
		return;
	nestlevel = pgm_safe_sql_begin();
	splan = SPI_prepare(sql, 0, NULL);
	if (splan == NULL)
		elog(ERROR, "SPI_prepare failed: %s", SPI_result_code_string(SPI_result));
	for (i = 0; i < 2; i++)
	{
		/* first our snapshot, then the latest committed state */
		int			rc = SPI_execute_snapshot(splan, NULL, NULL,
											  i == 0 ? GetActiveSnapshot() : GetLatestSnapshot(),
											  InvalidSnapshot, true, false, 1);
		bool		isnull;
		Datum		d;

		pgm_spi_check(rc, SPI_OK_SELECT, "reading pgmigrate.history");
		count[i] = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
		d = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 2, &isnull);
		maxid[i] = isnull ? 0 : DatumGetInt64(d);
	}
	pgm_safe_sql_end(nestlevel);
	if (count[0] != count[1] || maxid[0] != maxid[1])
		ereport(ERROR,
				(errcode(ERRCODE_T_R_SERIALIZATION_FAILURE),
				 errmsg("could not serialize access due to a concurrent migration run"),
				 errdetail("Another session applied migrations in this database after this transaction's snapshot was taken."),
				 errhint("Retry the transaction, or call migrate_apply in a READ COMMITTED transaction.")));
}

PgmPlan *
pgm_plan_prepare(const char *dir, PgmLockMode lockmode)
{
	PgmFolder  *folder = pgm_folder_scan(dir, NULL);
	PgmPlan    *plan;
	int			k;

	/*
	 * File I/O first, so the lock is held for as short a time as possible:
	 * every file is hashed through a small buffer, none is held.
	 */
	for (k = 0; k < folder->nfiles; k++)
		pgm_file_checksum(folder, &folder->files[k]);
	for (k = 0; k < folder->nrepeatables; k++)
		pgm_file_checksum(folder, &folder->repeatables[k]);

	/* the folder's tool: its table, and its lock */
	pgm_track_select(folder->format);
	if (lockmode == PGM_LOCK_XACT)
	{
		pgm_lock_xact();
		refuse_stale_snapshot();
	}
	else
		lock_session_without_snapshot();
	plan = pgm_plan_read(folder);

	/*
	 * Only what may run is read again, and kept; a file that changed since
	 * it was hashed is refused (pgm_file_load), so what runs is what the
	 * plan compared and what is recorded.
	 */
	for (k = 0; k < plan->n; k++)
	{
		PgmPlanItem *item = &plan->items[k];

		if (item->file != NULL &&
			(item->state == PGM_STATE_PENDING || item->state == PGM_STATE_FAILED ||
			 item->state == PGM_STATE_OUT_OF_ORDER))
			pgm_file_load(folder, item->file);
	}
	for (k = 0; k < plan->nrepeatables; k++)
	{
		PgmPlanItem *item = &plan->repeatables[k];

		if (item->file != NULL &&
			(item->state == PGM_STATE_PENDING || item->state == PGM_STATE_FAILED))
			pgm_file_load(folder, item->file);
	}
	return plan;
}

/* Comma-separated names of the items in state, at most MAX_LISTED_FILES. */
static char *
files_in_state(PgmPlan *plan, PgmState state)
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
		return NULL;
	if (count > MAX_LISTED_FILES)
		appendStringInfo(&files, " and %d more", count - MAX_LISTED_FILES);
	return files.data;
}

void
pgm_plan_check_dirty(PgmPlan *plan)
{
	PgmTracked *t = &plan->tracked;

	if (t->exists && t->dirty && !dirty_is_ours(plan) &&
		t->tracker != NULL && t->tracker->per_migration)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("database is dirty at migration version " INT64_FORMAT, t->dirty_version),
				 errdetail("%s records migration " INT64_FORMAT " as failed under %s, which refuses to run until it is resolved.",
						   t->table, t->dirty_version, t->tracker->name),
				 errhint("Check the schema by hand and finish or undo migration " INT64_FORMAT ", then resolve the failed row the way %s does (delete it, or mark it rolled back).",
						 t->dirty_version, t->tracker->name)));
	if (t->exists && t->dirty && !dirty_is_ours(plan))
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("database is dirty at migration version " INT64_FORMAT, t->dirty_version),
				 errdetail("%s has dirty = true: migration " INT64_FORMAT " failed part-way under a tool that does not roll back.",
						   t->table, t->dirty_version),
				 errhint("Check the schema by hand and finish or undo migration " INT64_FORMAT ", then call migrate_force with the version the schema now matches.",
						 t->dirty_version)));
}

void
pgm_plan_check(PgmPlan *plan, const PgmPlanOptions *opts)
{
	char	   *files;

	pgm_plan_check_dirty(plan);

	files = files_in_state(plan, PGM_STATE_MODIFIED);
	if (files != NULL)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("applied migration files were modified"),
				 errdetail("Migration files: %s.", files),
				 errhint("Restore the files as they were applied; a change to the schema belongs in a new migration file. If the change is harmless (a comment, white space), call migrate_repair to record the new checksums.")));

	files = opts->ignore_missing ? NULL : files_in_state(plan, PGM_STATE_MISSING);
	if (files != NULL)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("applied migration files are missing from the folder"),
				 errdetail("Migration files: %s.", files),
				 errhint("Restore the missing files, or apply with ignore_missing => true.")));

	files = opts->out_of_order ? NULL : files_in_state(plan, PGM_STATE_OUT_OF_ORDER);
	if (files != NULL)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("pending migrations have versions below the highest applied version"),
				 errdetail("Migration files: %s.", files),
				 errhint("Give the new files versions above the highest applied one, or apply with out_of_order => true to apply them in version order.")));
}

bool
pgm_plan_item_runs(PgmPlanItem *item, const PgmPlanOptions *opts)
{
	return item->file != NULL &&
		(item->state == PGM_STATE_PENDING || item->state == PGM_STATE_FAILED ||
		 item->state == PGM_STATE_OUT_OF_ORDER) &&
		(!opts->has_target || item->file->repeatable || item->version <= opts->target);
}

void
pgm_plan_record_adoption(PgmPlan *plan, PgmHistoryWriter *writer)
{
	PgmHistoryWriter from_tool;
	PgmHistoryWriter *baseliner = writer;
	const PgmTracker *tracker = plan->tracked.tracker;
	int			k;

	/*
	 * Where an adopted migration came from: applied by the tool, as its
	 * table says ("sqlx (public._sqlx_migrations)").  golang-migrate's
	 * adoption keeps the caller, as before.
	 */
	if (tracker != NULL && tracker->per_migration)
	{
		pgm_history_writer_init(&from_tool, writer->directory,
								psprintf("%s (%s)", tracker->name, plan->tracked.table));
		baseliner = &from_tool;
	}

	for (k = 0; k < plan->n; k++)
	{
		PgmPlanItem *item = &plan->items[k];

		if (item->adopt == PGM_ADOPT_BASELINE)
			pgm_history_record(baseliner, PGM_HIST_BASELINED, item->version,
							   item->name, item->file, -1, NULL);
		else if (item->adopt == PGM_ADOPT_REVERT)
			pgm_history_record(writer, PGM_HIST_REVERTED, item->version,
							   item->name, item->file, -1, NULL);
	}
	for (k = 0; k < plan->nrepeatables; k++)
	{
		PgmPlanItem *item = &plan->repeatables[k];

		if (item->adopt == PGM_ADOPT_BASELINE)
			pgm_history_record(baseliner, PGM_HIST_BASELINED, item->version,
							   item->name, item->file, -1, NULL);
	}
}

/*
 * A tool's per-migration table that was missing is written with a row for
 * each migration the history applied before (as the tool would have), so
 * the tool does not run them again: a dropped table is recreated, not read
 * as a roll back.  Before the first migration of the run writes its row.
 */
static void
backfill(PgmPlan *plan)
{
	int			k;

	if (!plan->backfill)
		return;
	plan->backfill = false;
	for (k = 0; k < plan->n; k++)
	{
		PgmPlanItem *item = &plan->items[k];

		if (item->file != NULL &&
			(item->state == PGM_STATE_APPLIED || item->state == PGM_STATE_MODIFIED))
		{
			plan->tracked.started = 0;
			pgm_track_row(&plan->tracked, item->file);
		}
	}
	for (k = 0; k < plan->nrepeatables; k++)
	{
		PgmPlanItem *item = &plan->repeatables[k];

		if (item->file != NULL && item->state == PGM_STATE_APPLIED)
		{
			plan->tracked.started = 0;
			pgm_track_row(&plan->tracked, item->file);
		}
	}
}

/* Does the file's text name the table (any letter case)? */
static bool
mentions(const PgmFile *file, const char *name)
{
	size_t		n = strlen(name);
	size_t		i;

	if (file->body == NULL || n == 0)
		return true;			/* not known: as if it did */
	for (i = 0; i + n <= file->len; i++)
		if (pg_strncasecmp(file->body + i, name, n) == 0)
			return true;
	return false;
}

void
pgm_plan_begin(PgmPlan *plan, const PgmFile *file)
{
	PgmTracked *t = &plan->tracked;

	/*
	 * golang-migrate's single row, in the transaction the migration runs
	 * in: the in-flight mark can be seen by that migration alone (others
	 * see the record that replaces it, at commit).  It is written when the
	 * migration may see it, its text naming the table, or when the table
	 * must be created; otherwise it would cost an UPDATE per migration for
	 * nobody to read.  Migrations that commit as they go mark it always
	 * (pgm_plan_begin_steps).
	 */
	if (!t->tracker->per_migration && t->exists && t->relname != NULL &&
		!mentions(file, t->relname))
		return;
	backfill(plan);
	pgm_track_begin(t, file->version);
}

void
pgm_plan_begin_steps(PgmPlan *plan, const PgmFile *file, int done, int nstmts)
{
	/* nothing runs before the migration's record: no window to mark */
	if (nstmts == 0)
		return;
	backfill(plan);
	pgm_track_begin_steps(&plan->tracked, file->version);
	if (done == PGM_PROGRESS_NONE)
		pgm_progress_write(file, PGM_DIRECTION_UP, 0);
}

void
pgm_plan_applied(PgmPlan *plan, PgmFile *file)
{
	if (!file->repeatable &&
		(!plan->has_applied || file->version > plan->max_applied))
	{
		plan->has_applied = true;
		plan->max_applied = file->version;
	}
	if (plan->tracked.tracker != NULL && plan->tracked.tracker->per_migration)
	{
		backfill(plan);
		pgm_track_row(&plan->tracked, file);
	}
	pgm_track_note_applied(&plan->tracked, file->version);
}

void
pgm_plan_track_flush(PgmPlan *plan)
{
	if (plan->has_applied)
		backfill(plan);
	pgm_track_flush(&plan->tracked, plan->has_applied, plan->max_applied);
}

