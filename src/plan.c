/*-------------------------------------------------------------------------
 *
 * plan.c
 *	  Merge the folder, pgmigrate.history and schema_migrations into one
 *	  ordered list of migrations with a state each.
 *
 * The plan is a pure function of its inputs: migrate_status shows it and
 * migrate_apply acts on it, so the two never disagree.
 *
 * schema_migrations is golang-migrate's contract and wins where it differs
 * from the history, so users can switch tools in and out:
 *   - its version V above the highest version we applied: the files up to V
 *     were applied by another tool and are recorded as baselined, not run;
 *   - V below versions we applied (golang-migrate "down", or Encore's manual
 *     roll back "UPDATE schema_migrations SET version = ..."): those are
 *     recorded as reverted and are pending again;
 *   - the table exists with no row: nothing is applied (golang-migrate's
 *     NilVersion).
 * A missing table is not a roll back: it is recreated from the history.
 * A dirty version V (golang-migrate failed part-way through V) means the
 * versions below V were applied and V failed.
 *
 * IDENTIFICATION
 *	  src/plan.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "plan.h"

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

static void
adopt_version_table(PgmPlan *plan, PgmVersionTable *vt)
{
	bool		had_applied = false;
	int64		max_hist = 0;
	int			k;

	if (!vt->exists)
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
		bool		applied = hist_applied(item->hist);

		if (!vt->has_row)
		{
			if (applied)
				item->adopt = PGM_ADOPT_REVERT;
		}
		else if (applied && item->version > vt->version)
			item->adopt = PGM_ADOPT_REVERT;
		else if (!applied && item->file != NULL &&
				 (item->version < vt->version ||
				  (item->version == vt->version && !vt->dirty)) &&
				 (!had_applied || item->version > max_hist))
			item->adopt = PGM_ADOPT_BASELINE;
	}
}

PgmPlan *
pgm_plan_build(PgmFolder *folder, PgmHistory *hist, PgmVersionTable *vt)
{
	PgmPlan    *plan = palloc0(sizeof(PgmPlan));
	int			k;

	merge(plan, folder, hist);
	adopt_version_table(plan, vt);

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
		else if (vt->exists && vt->dirty && vt->has_row && item->version == vt->version)
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
	return plan;
}

bool
pgm_plan_dirty_is_ours(PgmPlan *plan, PgmVersionTable *vt)
{
	int			k;

	if (!(vt->exists && vt->has_row && vt->dirty))
		return false;
	for (k = 0; k < plan->n; k++)
		if (plan->items[k].version == vt->version)
			return plan->items[k].hist != NULL &&
				strcmp(plan->items[k].hist->state, PGM_HIST_FAILED) == 0;
	return false;
}
