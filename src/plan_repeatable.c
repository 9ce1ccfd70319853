/*-------------------------------------------------------------------------
 *
 * plan_repeatable.c
 *	  The repeatable migrations of a plan (Flyway's R__ files): merged with
 *	  their history by name, each with its state.
 *
 * A repeatable migration has no version: it is known by its description
 * (Flyway's: the name with "_" read as " "), and its history rows have
 * version PGM_VERSION_REPEATABLE.  Its newest row decides, against the
 * file's checksum, as Flyway's latestRepeatableRuns does: it runs when it
 * never ran, when it last ran with another checksum (Flyway's "outdated";
 * never "modified"), or when its last run failed.  A file that is gone is
 * "missing" and refuses nothing (Flyway's validate ignores it).
 *
 * IDENTIFICATION
 *	  src/plan_repeatable.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "format.h"
#include "miscadmin.h"
#include "plan.h"
#include "plan_repeatable.h"

static bool
hist_applied(PgmHistoryEntry *h)
{
	return h != NULL && pgm_history_is_applied_state(h->state);
}

/*
 * The tool's checksum of the newest successful run of a repeatable
 * migration: *found false if the tool never ran it.
 */
static const char *
tracked_repeatable(const PgmTracked *t, const char *name, bool *found)
{
	int			lo = 0;
	int			hi = t->nrepeatables - 1;

	*found = false;
	while (lo <= hi)
	{
		int			mid = lo + (hi - lo) / 2;
		int			c = pgm_description_cmp(t->repeatable_names[mid], name);

		if (c == 0)
		{
			*found = true;
			return t->repeatable_checksums[mid];
		}
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid - 1;
	}
	return NULL;
}

/*
 * A repeatable migration's state.  Its newest history row decides, against
 * the file's checksum: applied with this checksum is applied, else it is
 * pending (Flyway's "outdated") or failed.  The tool's table wins where its
 * newest run of the description has this file's checksum (Flyway ran it
 * since), unless our newest row reverted it (a reset): adopted as
 * baselined.
 */
static void
repeatable_state(PgmPlan *plan, PgmPlanItem *item)
{
	PgmTracked *t = &plan->tracked;
	PgmHistoryEntry *h = item->hist;
	bool		ours = hist_applied(h) &&
		(item->file == NULL || !item->file->loaded || h->checksum == NULL ||
		 strcmp(h->checksum, item->file->checksum) == 0);

	if (item->file == NULL)
	{
		/* with no folder (history only), what the history says */
		if (hist_applied(h))
			item->state = plan->folder != NULL ? PGM_STATE_MISSING : PGM_STATE_APPLIED;
		else if (plan->folder == NULL && h != NULL && strcmp(h->state, PGM_HIST_FAILED) == 0)
			item->state = PGM_STATE_FAILED;
		else
			item->state = PGM_STATE_PENDING;
	}
	else if (ours)
		item->state = PGM_STATE_APPLIED;
	else
	{
		bool		theirs;
		const char *recorded = tracked_repeatable(t, item->name, &theirs);

		/*
		 * Not over our own revert (a reset, revert.c); a run with no
		 * checksum matches no file, as in Flyway (nullSafeEquals).
		 */
		if (theirs && recorded != NULL && item->file->loaded && t->tracker != NULL &&
			!(h != NULL && strcmp(h->state, PGM_HIST_REVERTED) == 0) &&
			t->tracker->file_matches != NULL &&
			t->tracker->file_matches(t, item->file, recorded))
		{
			item->adopt = PGM_ADOPT_BASELINE;
			item->state = PGM_STATE_APPLIED;
		}
		else if (h != NULL && strcmp(h->state, PGM_HIST_FAILED) == 0)
			item->state = PGM_STATE_FAILED;
		else
			item->state = PGM_STATE_PENDING;
	}
}

void
pgm_plan_merge_repeatables(PgmPlan *plan, PgmFolder *folder, PgmHistory *hist)
{
	int			nfiles = folder ? folder->nrepeatables : 0;
	int			i = 0;
	int			j = 0;

	plan->repeatables = palloc0(sizeof(PgmPlanItem) * Max(nfiles + hist->nrepeatables, 1));
	while (i < nfiles || j < hist->nrepeatables)
	{
		PgmPlanItem *item = &plan->repeatables[plan->nrepeatables];
		PgmFile    *f = i < nfiles ? &folder->repeatables[i] : NULL;
		PgmHistoryEntry *h = j < hist->nrepeatables ? &hist->repeatables[j] : NULL;
		int			c = f == NULL ? 1 : (h == NULL ? -1 : pgm_description_cmp(f->name, h->name));

		CHECK_FOR_INTERRUPTS();
		if (c <= 0)
		{
			item->file = f;
			i++;
		}
		if (c >= 0)
		{
			item->hist = h;
			j++;
		}
		item->version = PGM_VERSION_REPEATABLE;
		item->name = item->file ? item->file->name : item->hist->name;
		repeatable_state(plan, item);
		/* a name in the history alone, not applied: nothing to show */
		if (item->file == NULL && item->state == PGM_STATE_PENDING)
		{
			memset(item, 0, sizeof(PgmPlanItem));
			continue;
		}
		plan->nrepeatables++;
	}
}
